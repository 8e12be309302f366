import { SluiceError } from '../errors';
import { MAX_CONFIG_BYTES, parseStartRollout } from './start-rollout';

function fieldsOf(input: unknown): string[] {
  try {
    parseStartRollout(input);
  } catch (err) {
    if (err instanceof SluiceError) return (err.details.fields as Array<{ field: string }>).map((f) => f.field);
    throw err;
  }
  return [];
}

describe('start rollout request', () => {
  it('accepts a service, a version and an object config, with documented defaults', () => {
    expect(parseStartRollout({ service: 'checkout', version: 'v1.2.3+build.7', config: { a: 1 } })).toEqual({
      service: 'checkout',
      version: 'v1.2.3+build.7',
      config: { a: 1 },
      strategy: { canaryMaxShare: 0.05, growthFactor: 2.5, bakeSeconds: 300, approvalAfterCanary: true },
      gates: [],
      gateIntervalSeconds: 30,
    });
  });

  it('validates gates and explicit waves', () => {
    expect(
      fieldsOf({
        service: 's',
        version: 'v1',
        config: {},
        waves: [{ regions: [] }],
        gates: [{ kind: 'probe', name: 'p', path: 'no-slash' }],
      }),
    ).toEqual(['waves.0.regions', 'gates.0.path']);
  });

  it.each([
    ['an empty version', { service: 's', version: '', config: {} }, ['version']],
    ['a version with spaces', { service: 's', version: 'v 1', config: {} }, ['version']],
    ['an array config', { service: 's', version: 'v1', config: [] }, ['config']],
    ['a string config', { service: 's', version: 'v1', config: 'x' }, ['config']],
    ['a null config', { service: 's', version: 'v1', config: null }, ['config']],
    ['an empty service', { service: ' ', version: 'v1', config: {} }, ['service']],
  ])('rejects %s', (_what, input, fields) => {
    expect(fieldsOf(input)).toEqual(fields);
  });

  it('rejects a config larger than the limit', () => {
    const config = { blob: 'x'.repeat(MAX_CONFIG_BYTES) };
    expect(fieldsOf({ service: 's', version: 'v1', config })).toEqual(['config']);
  });
});
