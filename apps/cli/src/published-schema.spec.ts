import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../libs/platform/src/project-root';
import { DOCUMENT_SCHEMA_PATH, documentJsonSchema } from '../../../libs/domain/src/config-as-code';

describe('the published JSON Schema of the YAML documents', () => {
  it('is what the zod schemas generate (npm run schema:print rewrites it)', () => {
    const committed = JSON.parse(readFileSync(join(projectRoot(__dirname), DOCUMENT_SCHEMA_PATH), 'utf8')) as unknown;
    expect(committed).toEqual(documentJsonSchema());
  });

  it('refuses unknown fields in nested objects too, as GraphQL does', () => {
    const schema = documentJsonSchema() as { $defs: { Service: { properties: Record<string, unknown> } } };
    const region = (schema.$defs.Service.properties.regions as { items: { additionalProperties: unknown } }).items;
    expect(region.additionalProperties).toBe(false);
  });
});
