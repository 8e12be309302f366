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

  it('runs customer scenarios between rollouts every 5 minutes unless told otherwise', () => {
    const worker = { DATABASE_URL: 'postgres://sluice@db/sluice' };
    expect(loadWorkerConfig(worker).continuousScenarios).toEqual({
      intervalSeconds: 300,
      targetsPerRound: 24,
      workers: 2,
      retentionDays: 14,
    });
    expect(loadWorkerConfig({ ...worker, SLUICE_SCENARIO_INTERVAL_SECONDS: '0' }).continuousScenarios).toBeUndefined();
    expect(() => loadWorkerConfig({ ...worker, SLUICE_SCENARIO_WORKERS: '0' })).toThrow(/SLUICE_SCENARIO_WORKERS/);
  });

  it('gives the worker its defaults', () => {
    expect(loadWorkerConfig({ DATABASE_URL: 'postgres://sluice@db/sluice', PG_POOL_MAX: '4' })).toMatchObject({
      poolSize: 4,
      shutdownGraceSeconds: 30,
      metricsPort: 9464,
      sdkMetricsPort: 9465,
      prometheus: { url: 'http://127.0.0.1:9090' },
      alertmanager: { url: 'http://127.0.0.1:9093' },
    });
  });

  it('gives gates their monitoring connections, and stops on a malformed one naming it', () => {
    const worker = { DATABASE_URL: 'postgres://sluice@db/sluice' };
    const tenancy = { PROMETHEUS_HEADERS: 'X-Scope-OrgID=tenant-a', ALERTMANAGER_BEARER_TOKEN: 'am-token' };
    const config = loadWorkerConfig({ ...worker, ...tenancy });
    expect(config.prometheus.headers).toEqual({ 'X-Scope-OrgID': 'tenant-a' });
    expect(config.alertmanager.auth).toMatchObject({ bearer: { from: 'ALERTMANAGER_BEARER_TOKEN' } });
    expect(() => loadWorkerConfig({ ...worker, ALERTMANAGER_HEADERS: 'X-Scope-OrgID' })).toThrow(
      /ALERTMANAGER_HEADERS: "X-Scope-OrgID" is not Name=value/,
    );
    expect(() => loadWorkerConfig({ ...worker, PROMETHEUS_BASIC_AUTH_USERNAME: 'u' })).toThrow(ConfigError);
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
