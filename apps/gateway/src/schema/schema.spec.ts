import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../../libs/platform/src/project-root';
import { buildSchemaSdl, SCHEMA_FILE } from './schema-sdl';

describe('the committed GraphQL schema', () => {
  it('matches the code exactly (run `npm run schema:print` after changing the API)', async () => {
    const committed = readFileSync(join(projectRoot(__dirname), SCHEMA_FILE), 'utf8');
    expect(await buildSchemaSdl()).toBe(committed);
  });
});
