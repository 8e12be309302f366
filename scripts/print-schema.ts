/** `npm run schema:print`: regenerates apps/gateway/schema.gql, the API contract CI checks. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchemaSdl, SCHEMA_FILE } from '../apps/gateway/src/schema/schema-sdl';
import { projectRoot } from '../libs/platform/src/project-root';

buildSchemaSdl().then(
  (sdl) => {
    writeFileSync(join(projectRoot(__dirname), SCHEMA_FILE), sdl);
    console.log(`wrote ${SCHEMA_FILE}`);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
