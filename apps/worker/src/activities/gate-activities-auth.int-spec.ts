import { HttpRegionClient, AlertmanagerClient, PrometheusClient } from '../../../../libs/targets/src';
import { freePort } from '../../../../libs/platform/src/free-port';
import { activityEnvironment, gate, inActivity, refs } from '../../../../test/support/gate-activities';
import { MONITORING_USER, webConfig } from '../../../../test/support/monitoring-auth';
import {
  describeWithMonitoring,
  startAlertmanager,
  startPrometheus,
  type PrometheusServer,
} from '../../../../test/support/prometheus';
import { loadWorkerConfig } from '../worker.config';
import { createGateActivities } from './gate.activities';

describeWithMonitoring(
  ['prometheus', 'alertmanager'],
  'gates against a Prometheus and Alertmanager behind basic auth',
  () => {
    let prometheus: PrometheusServer;
    let alertmanager: PrometheusServer;
    const env = () => activityEnvironment(30_000, 10_000);
    const gates = [
      gate({
        kind: 'prometheus',
        name: 'errors',
        query: 'sum(up{region="{{region}}"}) or vector(0)',
        comparison: '<',
        threshold: 1,
      }),
      gate({ kind: 'alerts', name: 'no-alerts' }),
    ];
    const input = { wave: 1, service: 'api', regions: refs(['r1']), gates };
    /** The worker's activities as its configuration builds them from the environment. */
    const activitiesWith = (extra: NodeJS.ProcessEnv) => {
      const config = loadWorkerConfig({
        DATABASE_URL: 'postgres://sluice@127.0.0.1/sluice',
        PROMETHEUS_URL: prometheus.url,
        ALERTMANAGER_URL: alertmanager.url,
        ...extra,
      });
      return createGateActivities(
        new HttpRegionClient(),
        new PrometheusClient(config.prometheus),
        new AlertmanagerClient(config.alertmanager),
      );
    };

    beforeAll(async () => {
      [prometheus, alertmanager] = await Promise.all([
        startPrometheus({ targets: [], web: webConfig() }),
        startAlertmanager({
          port: await freePort(),
          webhookUrl: 'http://127.0.0.1:1/',
          token: 'unused',
          web: webConfig(),
        }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
    });

    it('fails the precheck, saying the credentials were refused, when the worker has none', async () => {
      const problems = await inActivity(env(), activitiesWith({}).checkGates, input);
      expect(problems).toEqual([
        {
          gate: 'errors',
          problem: expect.stringMatching(
            /^Prometheus at .* refused Sluice's credentials \(HTTP 401; no credentials were sent\)/,
          ),
        },
      ]);
    });

    it('reads no data during a bake without credentials, and the gate’s noData policy decides', async () => {
      const results = await inActivity(env(), activitiesWith({}).evaluateGates, input);
      expect(results).toEqual([
        expect.objectContaining({
          gate: 'errors',
          verdict: 'NO_DATA',
          noData: 'pause',
          detail: expect.stringMatching(/HTTP 401/),
        }),
        expect.objectContaining({
          gate: 'no-alerts',
          verdict: 'NO_DATA',
          detail: expect.stringMatching(/^Alertmanager at .* refused Sluice's credentials \(HTTP 401/),
        }),
      ]);
    });

    it('passes both gates with the credentials from PROMETHEUS_* and ALERTMANAGER_*', async () => {
      const credentials = {
        PROMETHEUS_BASIC_AUTH_USERNAME: MONITORING_USER.username,
        PROMETHEUS_BASIC_AUTH_PASSWORD: MONITORING_USER.password,
        ALERTMANAGER_BASIC_AUTH_USERNAME: MONITORING_USER.username,
        ALERTMANAGER_BASIC_AUTH_PASSWORD: MONITORING_USER.password,
      };
      const activities = activitiesWith(credentials);
      expect(await inActivity(env(), activities.checkGates, input)).toEqual([]);
      const results = await inActivity(env(), activities.evaluateGates, input);
      expect(results.map((r) => [r.gate, r.verdict])).toEqual([
        ['errors', 'PASS'],
        ['no-alerts', 'PASS'],
      ]);
    });
  },
);
