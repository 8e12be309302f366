import { SluiceError } from '../errors';
import { parseStartRollout } from '../rollout/start-rollout';
import { parseServiceTopology } from './service-topology';
import { applyTemplates } from './templates';

const service = parseServiceTopology({
  name: 'checkout',
  regions: [{ name: 'eu-1', endpoint: 'http://127.0.0.1:1' }],
  gateTemplates: [
    {
      kind: 'prometheus',
      name: 'error-rate',
      query: 'sum(rate(errors{region="{{region}}"}[{{interval}}]))',
      comparison: '<',
      threshold: 0.01,
    },
  ],
  rolloutTemplates: [
    {
      name: 'careful',
      strategy: { bakeSeconds: 900 },
      gates: [{ ref: 'error-rate' }, { ref: 'error-rate', name: 'errors-again' }],
      gateIntervalSeconds: 60,
    },
  ],
});

function fieldsOf(run: () => unknown): Array<{ field: string; message: string }> {
  try {
    run();
  } catch (err) {
    if (err instanceof SluiceError) return err.details.fields as Array<{ field: string; message: string }>;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('gate and rollout templates', () => {
  it('a rollout template gives strategy, gates and interval, and {{interval}} becomes the interval', () => {
    const request = parseStartRollout(
      applyTemplates({ service: 'checkout', version: 'v2', config: {}, template: 'careful' }, service),
    );
    expect(request.strategy).toEqual({
      canaryMaxShare: 0.05,
      growthFactor: 2.5,
      bakeSeconds: 900,
      approvalAfterCanary: true,
    });
    expect(request.gateIntervalSeconds).toBe(60);
    expect(request.gates.map((g) => [g.name, g.kind === 'prometheus' && g.query])).toEqual([
      ['error-rate', 'sum(rate(errors{region="{{region}}"}[60s]))'],
      ['errors-again', 'sum(rate(errors{region="{{region}}"}[60s]))'],
    ]);
  });

  it('fields of the request win over the template’s, field by field', () => {
    const request = parseStartRollout(
      applyTemplates(
        {
          service: 'checkout',
          version: 'v2',
          config: {},
          template: 'careful',
          strategy: { approvalAfterCanary: false },
          gates: [{ ref: 'error-rate' }],
          gateIntervalSeconds: 15,
        },
        service,
      ),
    );
    expect(request.strategy.bakeSeconds).toBe(900);
    expect(request.strategy.approvalAfterCanary).toBe(false);
    expect(request.gates).toHaveLength(1);
    expect(request.gates[0].kind === 'prometheus' && request.gates[0].query).toContain('[15s]');
  });

  it('an unknown template or ref is refused on the field that names it', () => {
    expect(fieldsOf(() => applyTemplates({ service: 'checkout', template: 'yolo' }, service))).toEqual([
      { field: 'template', message: 'no rollout template "yolo" on service checkout (it has careful)' },
    ]);
    expect(
      fieldsOf(() =>
        applyTemplates({ service: 'checkout', gates: [{ kind: 'alerts', name: 'a' }, { ref: 'x' }] }, service),
      ),
    ).toEqual([{ field: 'gates.1.ref', message: 'no gate template "x" on this service (it has error-rate)' }]);
    expect(
      fieldsOf(() => applyTemplates({ service: 'checkout', gates: [{ ref: 'error-rate', threshold: 3 }] }, service)),
    ).toEqual([{ field: 'gates.0', message: expect.stringContaining('only ref and name') }]);
  });

  it('a service refuses a rollout template naming a gate template it does not have, and duplicates', () => {
    expect(
      fieldsOf(() =>
        parseServiceTopology({
          name: 'checkout',
          regions: [{ name: 'eu-1', endpoint: 'http://127.0.0.1:1' }],
          gateTemplates: [
            { kind: 'alerts', name: 'alerts' },
            { kind: 'alerts', name: 'alerts' },
          ],
          rolloutTemplates: [{ name: 't', gates: [{ ref: 'nope' }] }],
        }),
      ).map((f) => f.field),
    ).toEqual(['gateTemplates.1.name', 'rolloutTemplates.0.gates.0.ref']);
  });

  it('a gate template may use {{interval}}, and still no unknown variable', () => {
    const bad = () =>
      parseServiceTopology({
        name: 'checkout',
        regions: [{ name: 'eu-1', endpoint: 'http://127.0.0.1:1' }],
        gateTemplates: [{ kind: 'prometheus', name: 'x', query: 'up{zone="{{zone}}"}', comparison: '>', threshold: 0 }],
      });
    expect(fieldsOf(bad)).toEqual([{ field: 'gateTemplates.0.query', message: expect.stringContaining('{{zone}}') }]);
  });
});
