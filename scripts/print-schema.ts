/**
 * `npm run schema:print`: regenerates the contracts CI checks against the code:
 * apps/gateway/schema.gql (the API) and docs/schema/sluice.schema.json (the YAML documents).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSchemaSdl, SCHEMA_FILE } from '../apps/gateway/src/schema/schema-sdl';
import { DOCUMENT_SCHEMA_PATH, documentJsonSchema } from '../libs/domain/src/config-as-code';
import { projectRoot } from '../libs/platform/src/project-root';

buildSchemaSdl().then(
  (sdl) => {
    const root = projectRoot(__dirname);
    writeFileSync(join(root, SCHEMA_FILE), sdl);
    console.log(`wrote ${SCHEMA_FILE}`);
    mkdirSync(dirname(join(root, DOCUMENT_SCHEMA_PATH)), { recursive: true });
    writeFileSync(join(root, DOCUMENT_SCHEMA_PATH), `${JSON.stringify(documentJsonSchema(), null, 2)}\n`);
    console.log(`wrote ${DOCUMENT_SCHEMA_PATH}`);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
