import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { configHash } from '../../libs/targets/src';

/** The published HTTP region contract (docs/targets/http-region.openapi.yaml), checked against region-sim's answers. */
const document = parse(readFileSync(join(__dirname, '../../docs/targets/http-region.openapi.yaml'), 'utf8')) as {
  openapi: string;
  components: { schemas: Record<string, unknown> };
};

function validatorFor(schemaName: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // the document's components, addressable as they are referenced: #/components/schemas/<name>
  ajv.addSchema({ $id: 'contract', components: document.components }, 'contract');
  return ajv.compile({ $ref: `contract#/components/schemas/${schemaName}` });
}

describe('the HTTP region contract, as published', () => {
  let sim: RegionSim;
  beforeAll(async () => {
    sim = await startRegionSim({ regions: ['o1'], port: 0, traffic: false });
  });
  afterAll(() => sim.close());

  const call = async (method: string, body?: unknown, ifMatch?: string) => {
    const res = await fetch(`${sim.url}/regions/o1/config`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(ifMatch ? { 'if-match': ifMatch } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    return { status: res.status, etag: res.headers.get('etag'), body: (await res.json()) as Record<string, unknown> };
  };
  const expectValid = (schemaName: string, body: unknown) => {
    const validate = validatorFor(schemaName);
    expect({ valid: validate(body), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  };

  it('is OpenAPI 3.1, and region-sim answers GET, PUT, DELETE and a stale write within it', async () => {
    expect(document.openapi).toBe('3.1.0');
    const empty = await call('GET');
    expect(empty.status).toBe(200);
    expectValid('RegionState', empty.body);

    const pushed = await call('PUT', { version: 'v1', config: { b: 2, a: 1 } }, `"${String(empty.body.revision)}"`);
    expect(pushed.status).toBe(200);
    expectValid('PushAnswer', pushed.body);
    expect(pushed.body.configHash).toBe(configHash({ a: 1, b: 2 }));

    const stale = await call('PUT', { version: 'v2', config: {} }, `"${String(empty.body.revision)}"`);
    expect(stale.status).toBe(412);
    expectValid('Error', stale.body);

    const read = await call('GET');
    expectValid('RegionState', read.body);
    expect(read.etag).toMatch(/^(W\/)?"[0-9]{1,15}"$/);

    const cleared = await call('DELETE', undefined, `"${String(read.body.revision)}"`);
    expect(cleared.status).toBe(200);
    expectValid('RegionState', cleared.body);
  });

  it('its schemas refuse what Sluice refuses: a version without its config, a forged hash, a negative revision', () => {
    const validate = validatorFor('RegionState');
    expect(validate({ version: 'v1', config: null, revision: 3 })).toBe(false);
    expect(validate({ version: null, config: { a: 1 }, revision: 3 })).toBe(false);
    expect(validate({ version: 'v1', config: {}, configHash: 'sha256:abc', revision: 3 })).toBe(false);
    expect(validate({ version: 'v1', config: {}, revision: -1 })).toBe(false);
    expect(validate({ version: 'v1', config: {}, revision: 3 })).toBe(true);
  });
});
