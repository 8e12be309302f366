import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { serviceInput } from '../../apps/cli/src/service-diff';
import { DOCUMENT_SCHEMA_PATH, documentSchemas } from '../../libs/domain/src/config-as-code';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startAppStack, type AppStack } from '../support/app-stack';
import { graphql } from '../support/graphql-client';

/** The committed schema, as an editor reads it: not regenerated here. */
const published = JSON.parse(readFileSync(join(projectRoot(__dirname), DOCUMENT_SCHEMA_PATH), 'utf8')) as object;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(published);

const region = (name: string, extra = '') => `  - { name: ${name}, endpoint: 'http://127.0.0.1:1/${name}'${extra} }`;
const service = (name: string, ...lines: string[]) =>
  ['apiVersion: sluice/v1', 'kind: Service', `name: ${name}`, ...lines].join('\n');

/** Service documents and whether they are valid; each name is used once, so the server registers each anew. */
const SERVICES: Array<[string, boolean, string]> = [
  ['minimal', true, service('corpus-minimal', 'regions:', region('a'))],
  [
    'every field',
    true,
    service(
      'corpus-full',
      'regions:',
      region('c1', ', tier: canary, weight: 1, customers: [Acme]'),
      region('h1', ', tier: heavy, weight: 4, pair: c1'),
      '  - { name: e1, target: { etcd: { endpoints: ["127.0.0.1:2379"], key: app/e1, passwordEnv: ETCD_PW } } }',
      'configSchema: { type: object }',
      'freezeWindows: [{ start: "2030-01-01T00:00:00Z", end: "2030-01-02T00:00:00Z", reason: new year }]',
      'recurringFreezes: [{ cron: "0 18 * * 5", duration: 62h, timeZone: Europe/Berlin, reason: weekend }]',
      'gateTemplates:',
      '  - { kind: probe, name: probe, path: /probe }',
      '  - { kind: prometheus, name: errors, query: "rate(e[{{interval}}])", comparison: "<", threshold: 1, noData: fail }',
      '  - { kind: alerts, name: alerts, labels: { severity: page } }',
      '  - { kind: canary, name: canary, alpha: 0.05 }',
      'rolloutTemplates:',
      '  - { name: careful, strategy: { bakeSeconds: 60 }, gates: [{ ref: probe }, { ref: errors, name: e2 }], gateIntervalSeconds: 10 }',
    ),
  ],
  ['an unknown top-level field', false, service('corpus-bad-1', 'owner: team-a', 'regions:', region('a'))],
  ['an unknown region field', false, service('corpus-bad-2', 'regions:', region('a', ', colour: blue'))],
  ['a weight that is not a number', false, service('corpus-bad-3', 'regions:', region('a', ', weight: heavy'))],
  ['a tier that does not exist', false, service('corpus-bad-4', 'regions:', region('a', ', tier: huge'))],
  ['no regions', false, service('corpus-bad-5')],
  [
    'a gate template without a kind',
    false,
    service('corpus-bad-6', 'regions:', region('a'), 'gateTemplates: [{ name: x, path: /p }]'),
  ],
  [
    'an unknown gate template field',
    false,
    service('corpus-bad-7', 'regions:', region('a'), 'gateTemplates: [{ kind: probe, name: p, path: /p, retries: 3 }]'),
  ],
  [
    'a recurring freeze without a reason',
    false,
    service('corpus-bad-8', 'regions:', region('a'), 'recurringFreezes: [{ cron: "0 0 * * *", duration: 1h }]'),
  ],
  [
    'a strategy field of the wrong type',
    false,
    service(
      'corpus-bad-9',
      'regions:',
      region('a'),
      'rolloutTemplates: [{ name: t, strategy: { bakeSeconds: long } }]',
    ),
  ],
  [
    'an etcd target with an inline password',
    false,
    service(
      'corpus-bad-10',
      'regions:',
      '  - { name: e, target: { etcd: { endpoints: ["h:1"], key: k, password: x } } }',
    ),
  ],
];

/** Rollout documents: the server builds its check of them from the same zod schema (startRolloutSchema). */
const ROLLOUTS: Array<[string, boolean, string]> = [
  ['from a file, by template', true, 'service: s\nversion: v2\nconfigFrom: ./v2.json\ntemplate: careful'],
  [
    'inline, with gates',
    true,
    'service: s\nversion: v2\nconfig: { a: 1 }\ngates: [{ ref: probe }, { kind: alerts, name: a }]',
  ],
  ['an unknown field', false, 'service: s\nversion: v2\nconfig: {}\nregion: eu'],
  ['a gate of no kind', false, 'service: s\nversion: v2\nconfig: {}\ngates: [{ name: g }]'],
  ['a version of the wrong type', false, 'service: s\nversion: [v2]\nconfig: {}'],
];

let stack: AppStack;

describe('the published JSON Schema and the server agree on what a document is', () => {
  beforeAll(async () => {
    stack = await startAppStack({ regions: ['corpus'] });
  }, 60_000);
  afterAll(() => stack?.stop());

  it.each(SERVICES)('kind: Service, %s (valid: %s)', async (_what, valid, text) => {
    const value = parse(text) as Record<string, unknown>;
    expect(validate(value)).toBe(valid);
    const input = serviceInput({
      file: '/corpus.yaml',
      kind: 'Service',
      value,
      locate: () => ({ line: 0, column: 0 }),
    });
    const res = await graphql(
      stack.gateway.url,
      'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      { input },
    );
    if (valid) expect(res.errors).toBeUndefined();
    else expect(res.errors?.[0]?.extensions?.code).toMatch(/^(BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED)$/);
  });

  it.each(ROLLOUTS)('kind: Rollout, %s (valid: %s)', (_what, valid, text) => {
    const value = { apiVersion: 'sluice/v1', kind: 'Rollout', ...(parse(text) as object) };
    expect(validate(value)).toBe(valid);
    expect(documentSchemas.Rollout.safeParse(value).success).toBe(valid);
  });
});
