import { Counter, Gauge, Registry } from 'prom-client';
import { exposition } from './metrics-exposition';

describe('metrics exposition', () => {
  it('leaves out a metric whose collect hangs or fails, counts it, and serves the rest in time', async () => {
    const registry = new Registry();
    new Counter({ name: 'ok_total', help: 'fine', registers: [registry] }).inc();
    new Gauge({
      name: 'hangs',
      help: 'reads a black-holed database',
      registers: [registry],
      collect: () => new Promise(() => undefined),
    });
    new Gauge({
      name: 'fails',
      help: 'reads a database that refuses',
      registers: [registry],
      collect: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    const started = Date.now();
    const text = await exposition(registry, 50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(text).toMatch(/^ok_total 1$/m);
    expect(text).not.toMatch(/^# TYPE (hangs|fails) /m);
    expect(text).toMatch(/^sluice_metric_collect_failures_total\{metric="hangs"\} 1$/m);
    expect(text).toMatch(/^sluice_metric_collect_failures_total\{metric="fails"\} 1$/m);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('serves the same text as prom-client when every collect answers', async () => {
    const registry = new Registry();
    new Gauge({ name: 'g', help: 'a gauge', labelNames: ['a'], registers: [registry] }).set({ a: 'x"y' }, 2);
    const ours = await exposition(registry);
    expect(ours).toContain(await registry.getSingleMetricAsString('g'));
    expect(ours).toMatch(/^# TYPE sluice_metric_collect_failures_total counter$/m);
  });
});
