import type { z } from 'zod';
import type { SluiceError } from '../errors';
import { parseInput } from '../validation';
import { canaryGateSchema, compare, gateSpecSchema, gatesSchema, renderQuery } from './gate-spec';

describe('prometheus gate specs', () => {
  it('fill in region and service, and name an unknown variable', () => {
    expect(
      renderQuery('rate(x{region="{{region}}",service="{{ service }}"}[1m])', { region: 'eu-west-1', service: 'api' }),
    ).toBe('rate(x{region="eu-west-1",service="api"}[1m])');
    expect(() => renderQuery('x{zone="{{zone}}"}', { region: 'r', service: 's' })).toThrow(
      'unknown template variable {{zone}}; use {{region}} or {{service}}',
    );
  });

  it('compare values against the threshold', () => {
    expect(compare(0.01, '<', 0.05)).toBe(true);
    expect(compare(0.05, '<', 0.05)).toBe(false);
    expect(compare(0.05, '<=', 0.05)).toBe(true);
    expect(compare(10, '>', 5)).toBe(true);
    expect(compare(5, '>=', 5)).toBe(true);
  });

  it('default the no-data policy to pause, never a silent pass', () => {
    const gate = gateSpecSchema.parse({
      kind: 'prometheus',
      name: 'errors',
      query: 'up',
      comparison: '<',
      threshold: 1,
    });
    expect(gate).toMatchObject({ noData: 'pause', timeoutMs: 5000 });
  });
});

describe('gate validation at start', () => {
  const fieldsOf = (schema: z.ZodType, input: unknown) => {
    try {
      parseInput(schema, input, 'rollout request');
    } catch (err) {
      expect(err).toMatchObject({ code: 'BAD_USER_INPUT' });
      return (err as SluiceError).details.fields;
    }
    throw new Error('expected BAD_USER_INPUT');
  };
  const prometheus = { kind: 'prometheus', name: 'errors', comparison: '<', threshold: 1 };

  it('refuses {{region}} in a canary query, naming the fix', () => {
    expect(fieldsOf(gateSpecSchema, { kind: 'canary', name: 'c', requestsQuery: 'x{region="{{region}}"}' })).toEqual([
      {
        field: 'requestsQuery',
        message:
          'a canary query reads several regions at once, so {{region}} is not available: match them with region=~"{{regions}}"',
      },
    ]);
  });

  it('refuses unknown variables in canary and prometheus queries, and {{regions}} in a per-region query', () => {
    expect(fieldsOf(gateSpecSchema, { kind: 'canary', name: 'c', eventsQuery: 'x{zone="{{zone}}"}' })).toEqual([
      {
        field: 'eventsQuery',
        message: 'unknown template variable {{zone}}; use {{regions}}, {{service}} or {{interval}}',
      },
    ]);
    expect(fieldsOf(gateSpecSchema, { ...prometheus, query: 'x{zone="{{ zone }}"}' })).toEqual([
      { field: 'query', message: 'unknown template variable {{zone}}; use {{region}}, {{service}} or {{interval}}' },
    ]);
    expect(fieldsOf(gateSpecSchema, { ...prometheus, query: 'x{region=~"{{regions}}"}' })).toEqual([
      {
        field: 'query',
        message: 'a prometheus gate is evaluated per region, so {{regions}} is not available: use {{region}}',
      },
    ]);
  });

  it('requires tolerance < maxTolerated < maxRatio, with maxRatio 10 and a one-day baseline window by default', () => {
    expect(gateSpecSchema.parse({ kind: 'canary', name: 'c' })).toMatchObject({
      tolerance: 1,
      maxTolerated: 1.5,
      maxRatio: 10,
      baselineWindowSeconds: 86400,
    });
    expect(fieldsOf(gateSpecSchema, { kind: 'canary', name: 'c', tolerance: 2 })).toEqual([
      { field: 'maxTolerated', message: 'must be above tolerance (2)' },
    ]);
    expect(fieldsOf(gateSpecSchema, { kind: 'canary', name: 'c', maxTolerated: 12 })).toEqual([
      { field: 'maxRatio', message: 'must be above maxTolerated (12)' },
    ]);
    expect(fieldsOf(gateSpecSchema, { kind: 'canary', name: 'c', baselineWindowSeconds: 30 })).toEqual([
      { field: 'baselineWindowSeconds', message: expect.stringMatching(/>=60/) },
    ]);
    expect(fieldsOf(gateSpecSchema, { kind: 'canary', name: 'c', baselineWindowSeconds: 8 * 86_400 })).toEqual([
      { field: 'baselineWindowSeconds', message: expect.stringMatching(/<=604800/) },
    ]);
  });

  it('reads per-series counters by default, not their sum', () => {
    const gate = canaryGateSchema.parse({ kind: 'canary', name: 'c' });
    expect(gate.requestsQuery).toBe('sluice_sim_requests_total{region=~"{{regions}}"}');
    expect(gate.eventsQuery).toBe('sluice_sim_requests_total{region=~"{{regions}}",code=~"5.."}');
  });

  it('refuses two gates of one rollout with the same name', () => {
    expect(
      fieldsOf(gatesSchema, [
        { kind: 'canary', name: 'judge' },
        { ...prometheus, query: 'up' },
        { kind: 'probe', name: 'judge', path: '/probe' },
      ]),
    ).toEqual([{ field: '2.name', message: 'another gate of this rollout is already named "judge"' }]);
    expect(gatesSchema.parse(undefined)).toEqual([]);
  });
});

describe('probe paths', () => {
  it('stay under the region endpoint: no dot segments, no encoded escapes, no backslashes', () => {
    for (const path of [
      '/../admin',
      '/a/../../b',
      '/%2e%2e/admin',
      '/a%2F..%2Fb',
      '/a\\..\\b',
      '//evil/x',
      '/a/./b',
      '/%5c',
    ]) {
      const parsed = gateSpecSchema.safeParse({ kind: 'probe', name: 'p', path });
      expect({ path, success: parsed.success }).toEqual({ path, success: false });
    }
    for (const path of ['/probe', '/health/ready', '/v1/items?limit=1', '/a-b_c.d']) {
      expect(gateSpecSchema.safeParse({ kind: 'probe', name: 'p', path }).success).toBe(true);
    }
  });
});
