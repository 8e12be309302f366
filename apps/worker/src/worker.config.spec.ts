import { ConfigError } from '../../../libs/platform/src/config';
import { loadWorkerConfig } from './worker.config';

describe('worker configuration from the environment', () => {
  it('stops with a message naming the variable when a setting is wrong', () => {
    const worker = { DATABASE_URL: 'postgres://sluice@db/sluice' };
    expect(() => loadWorkerConfig({ ...worker, WORKER_SHUTDOWN_GRACE_SECONDS: 'soon' })).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ ...worker, WORKER_SHUTDOWN_GRACE_SECONDS: 'soon' })).toThrow(
      /WORKER_SHUTDOWN_GRACE_SECONDS/,
    );
    expect(() => loadWorkerConfig({})).toThrow(/DATABASE_URL: must be set to a postgres:\/\/ URL/);
  });

  it('gives the worker its defaults', () => {
    expect(loadWorkerConfig({ DATABASE_URL: 'postgres://sluice@db/sluice', PG_POOL_MAX: '4' })).toMatchObject({
      poolSize: 4,
      shutdownGraceSeconds: 30,
      metricsPort: 9464,
      sdkMetricsPort: 9465,
      prometheusUrl: 'http://127.0.0.1:9090',
    });
  });

  it('takes the SDK metrics port as a port other than the worker metrics port, or 0 for none', () => {
    const worker = { DATABASE_URL: 'postgres://sluice@db/sluice' };
    expect(loadWorkerConfig({ ...worker, WORKER_SDK_METRICS_PORT: '0' }).sdkMetricsPort).toBe(0);
    expect(() => loadWorkerConfig({ ...worker, WORKER_SDK_METRICS_PORT: '70000' })).toThrow(/WORKER_SDK_METRICS_PORT/);
    expect(() => loadWorkerConfig({ ...worker, WORKER_METRICS_PORT: '9500', WORKER_SDK_METRICS_PORT: '9500' })).toThrow(
      /WORKER_SDK_METRICS_PORT: must differ from WORKER_METRICS_PORT/,
    );
  });
});
