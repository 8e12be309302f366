import type { RolloutEvent } from '../../../libs/domain/src';
import { WorkerMetrics } from './worker-metrics';

const event = (type: string, data: Record<string, unknown> = {}) => ({ type, data }) as unknown as RolloutEvent;

async function samples(metrics: WorkerMetrics, name: string) {
  const metric = metrics.registry.getSingleMetric(name);
  return metric ? (await metric.get()).values.filter((v) => v.value > 0) : undefined;
}

describe('worker metrics', () => {
  it('counts each finished rollout once under its outcome, and a failed rollback apart from the outcomes', async () => {
    const metrics = new WorkerMetrics();
    metrics.observe('checkout', [event('RolloutRequested'), event('RolloutPlanned'), event('PrecheckPassed')]);
    metrics.observe('checkout', [event('RollbackStarted'), event('RollbackFailed')]);
    metrics.observe('checkout', [event('RolloutRolledBack')]);
    metrics.observe('search', [event('RolloutSucceeded')]);
    metrics.observe('search', [event('PrecheckFailed')]);
    metrics.observe('search', [event('RolloutAbandoned')]);
    expect(await samples(metrics, 'sluice_rollouts_finished_total')).toEqual([
      { labels: { service: 'checkout', outcome: 'rolled_back' }, value: 1 },
      { labels: { service: 'search', outcome: 'succeeded' }, value: 1 },
      { labels: { service: 'search', outcome: 'failed' }, value: 1 },
      { labels: { service: 'search', outcome: 'abandoned' }, value: 1 },
    ]);
    expect(await samples(metrics, 'sluice_rollbacks_failed_total')).toEqual([
      { labels: { service: 'checkout' }, value: 1 },
    ]);
    // started is counted where rollouts start (the gateway), never mixed with outcomes
    expect(metrics.registry.getSingleMetric('sluice_rollouts_started_total')).toBeUndefined();
    expect(metrics.registry.getSingleMetric('sluice_rollouts_total')).toBeUndefined();
  });

  it('counts gate verdicts by kind and times pushes by service, target kind and outcome', async () => {
    const metrics = new WorkerMetrics();
    metrics.observe('checkout', [
      event('HealthGateEvaluated', { kind: 'prometheus', verdict: 'PASS' }),
      event('HealthGateEvaluated', { kind: 'prometheus', verdict: 'FAIL' }),
    ]);
    metrics.observePush({ service: 'checkout', kind: 'http', outcome: 'succeeded', seconds: 0.04 });
    metrics.observePush({ service: 'checkout', kind: 'git', outcome: 'failed', seconds: 3 });
    expect(await samples(metrics, 'sluice_gate_evaluations_total')).toEqual([
      { labels: { service: 'checkout', kind: 'prometheus', verdict: 'PASS' }, value: 1 },
      { labels: { service: 'checkout', kind: 'prometheus', verdict: 'FAIL' }, value: 1 },
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'sluice_push_duration_seconds_bucket{le="0.05",service="checkout",kind="http",outcome="succeeded"} 1',
    );
    expect(text).toContain('sluice_push_duration_seconds_count{service="checkout",kind="git",outcome="failed"} 1');
  });

  it('exports the standard process metrics unprefixed, and build info, and reads no database', async () => {
    const text = await new WorkerMetrics().registry.metrics();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_version_info\{/m);
    expect(text).toMatch(/^sluice_build_info\{version="\d+\.\d+\.\d+",node_version="v[\d.]+"\} 1$/m);
    expect(text).not.toMatch(/^sluice_(worker|gateway)_/m);
    expect(text).not.toMatch(/sluice_waves_in_progress/);
  });
});
