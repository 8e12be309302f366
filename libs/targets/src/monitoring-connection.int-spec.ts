import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../platform/src/free-port';
import {
  MONITORING_USER,
  makeCertificates,
  startAuthGateway,
  webConfig,
  type TestCertificates,
} from '../../../test/support/monitoring-auth';
import {
  describeWithMonitoring,
  startAlertmanager,
  startPrometheus,
  type PrometheusServer,
} from '../../../test/support/prometheus';
import { AlertmanagerClient } from './alertmanager-client';
import { loadMonitoringConnection } from './monitoring-connection';
import { PrometheusClient } from './prometheus-client';

const TIMEOUT_MS = 5_000;
const basicAuth = (prefix: string, password = MONITORING_USER.password) => ({
  [`${prefix}_BASIC_AUTH_USERNAME`]: MONITORING_USER.username,
  [`${prefix}_BASIC_AUTH_PASSWORD`]: password,
});

describeWithMonitoring(['prometheus', 'alertmanager'], 'Prometheus and Alertmanager behind authentication', () => {
  let dir: string;
  let prometheus: PrometheusServer;
  let alertmanager: PrometheusServer;
  let tlsPrometheus: PrometheusServer;
  let certs: TestCertificates;
  const prometheusWith = (env: NodeJS.ProcessEnv) =>
    new PrometheusClient(loadMonitoringConnection('PROMETHEUS', { PROMETHEUS_URL: prometheus.url, ...env }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-monitoring-auth-'));
    certs = makeCertificates(dir);
    [prometheus, alertmanager, tlsPrometheus] = await Promise.all([
      startPrometheus({ targets: [], web: webConfig() }),
      startAlertmanager({
        port: await freePort(),
        webhookUrl: 'http://127.0.0.1:1/',
        token: 'unused',
        web: webConfig(),
      }),
      startPrometheus({ targets: [], web: webConfig(certs) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), tlsPrometheus?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without credentials, fails MONITORING_UNAUTHORIZED saying none were sent', async () => {
    await expect(prometheusWith({}).query('vector(1)', TIMEOUT_MS)).rejects.toMatchObject({
      code: 'MONITORING_UNAUTHORIZED',
      message: `Prometheus at ${prometheus.url} refused Sluice's credentials (HTTP 401; no credentials were sent): Unauthorized`,
      details: { status: 401 },
    });
  });

  it('with basic auth, queries; with the wrong password, fails naming where it came from but never showing it', async () => {
    const client = prometheusWith(basicAuth('PROMETHEUS'));
    expect(await client.query('vector(1)', TIMEOUT_MS)).toEqual([{ labels: {}, value: 1 }]);
    const now = Math.floor(Date.now() / 1000);
    const range = await client.queryRange('vector(2)', { start: now - 60, end: now, step: 30 }, TIMEOUT_MS);
    expect(range[0].values.map(([, v]) => v)).toEqual([2, 2, 2]);

    const file = join(dir, 'wrong-password');
    writeFileSync(file, 'not-the-password\n');
    const wrong = prometheusWith({
      PROMETHEUS_BASIC_AUTH_USERNAME: MONITORING_USER.username,
      PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: file,
    });
    const failure = await wrong.query('vector(1)', TIMEOUT_MS).catch((err: Error) => err);
    expect(failure).toMatchObject({
      code: 'MONITORING_UNAUTHORIZED',
      message: expect.stringContaining(
        `(HTTP 401; basic auth as "sluice" with the password from PROMETHEUS_BASIC_AUTH_PASSWORD_FILE (${file}) was sent)`,
      ),
    });
    expect(JSON.stringify({ message: (failure as Error).message, details: failure })).not.toContain('not-the-password');
  });

  it('sends the bearer token and the tenancy headers to an auth gateway in front of Prometheus', async () => {
    const gateway = await startAuthGateway({
      upstream: prometheus.url,
      token: 'glc_tenant-a-token',
      upstreamAuthorization: `Basic ${Buffer.from(`${MONITORING_USER.username}:${MONITORING_USER.password}`).toString('base64')}`,
    });
    try {
      const env = {
        PROMETHEUS_URL: gateway.url,
        PROMETHEUS_BEARER_TOKEN: 'glc_tenant-a-token',
        PROMETHEUS_HEADERS: 'X-Scope-OrgID=tenant-a|tenant-b,X-Sluice-Test=yes',
      };
      const client = new PrometheusClient(loadMonitoringConnection('PROMETHEUS', env));
      expect(await client.query('vector(3)', TIMEOUT_MS)).toEqual([{ labels: {}, value: 3 }]);
      expect(gateway.seen.at(-1)).toMatchObject({
        authorization: 'Bearer glc_tenant-a-token',
        'x-scope-orgid': 'tenant-a|tenant-b',
        'x-sluice-test': 'yes',
      });

      const wrongToken = new PrometheusClient(
        loadMonitoringConnection('PROMETHEUS', { ...env, PROMETHEUS_BEARER_TOKEN: 'glc_revoked' }),
      );
      const failure = (await wrongToken.query('vector(3)', TIMEOUT_MS).catch((err: Error) => err)) as Error;
      expect(failure).toMatchObject({ code: 'MONITORING_UNAUTHORIZED' });
      expect(failure.message).toContain('a bearer token from PROMETHEUS_BEARER_TOKEN was sent');
      expect(failure.message).not.toContain('glc_revoked');
    } finally {
      await gateway.stop();
    }
  });

  it('reaches Alertmanager with basic auth, and says so without it', async () => {
    const env = (extra: NodeJS.ProcessEnv) =>
      loadMonitoringConnection('ALERTMANAGER', { ALERTMANAGER_URL: alertmanager.url, ...extra });
    expect(await new AlertmanagerClient(env(basicAuth('ALERTMANAGER'))).firing({ service: 'x' }, TIMEOUT_MS)).toEqual(
      [],
    );
    await expect(new AlertmanagerClient(env({})).firing({ service: 'x' }, TIMEOUT_MS)).rejects.toMatchObject({
      code: 'MONITORING_UNAUTHORIZED',
      message: expect.stringMatching(/^Alertmanager at .* refused Sluice's credentials \(HTTP 401; no credentials/),
    });
  });

  it('reaches Prometheus over TLS with its CA, server name and a client certificate; refuses a name the certificate does not carry', async () => {
    const tls = {
      PROMETHEUS_URL: tlsPrometheus.url,
      ...basicAuth('PROMETHEUS'),
      PROMETHEUS_TLS_CA_FILE: certs.caFile,
      PROMETHEUS_TLS_CERT_FILE: certs.clientCertFile,
      PROMETHEUS_TLS_KEY_FILE: certs.clientKeyFile,
    };
    expect(tlsPrometheus.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const named = new PrometheusClient(
      loadMonitoringConnection('PROMETHEUS', { ...tls, PROMETHEUS_TLS_SERVER_NAME: certs.serverName }),
    );
    expect(await named.query('vector(4)', TIMEOUT_MS)).toEqual([{ labels: {}, value: 4 }]);

    // the certificate names prometheus.test, not 127.0.0.1
    await expect(
      new PrometheusClient(loadMonitoringConnection('PROMETHEUS', tls)).query('vector(4)', TIMEOUT_MS),
    ).rejects.toMatchObject({
      code: 'METRICS_UNAVAILABLE',
      message: expect.stringMatching(/did not answer: .*127\.0\.0\.1/),
    });
    const skipping = new PrometheusClient(
      loadMonitoringConnection('PROMETHEUS', {
        ...tls,
        PROMETHEUS_TLS_CA_FILE: undefined,
        PROMETHEUS_TLS_INSECURE_SKIP_VERIFY: 'true',
      }),
    );
    expect(await skipping.query('vector(5)', TIMEOUT_MS)).toEqual([{ labels: {}, value: 5 }]);

    // without a client certificate the TLS handshake itself is refused
    await expect(
      new PrometheusClient(
        loadMonitoringConnection('PROMETHEUS', {
          ...tls,
          PROMETHEUS_TLS_SERVER_NAME: certs.serverName,
          PROMETHEUS_TLS_CERT_FILE: undefined,
          PROMETHEUS_TLS_KEY_FILE: undefined,
        }),
      ).query('vector(4)', TIMEOUT_MS),
    ).rejects.toMatchObject({ code: 'METRICS_UNAVAILABLE' });
  });
});
