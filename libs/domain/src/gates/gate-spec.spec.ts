import { compare, gateSpecSchema, renderQuery } from './gate-spec';

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
