import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from '../../platform/src/config';
import { loadMonitoringConnection, withoutSecrets } from './monitoring-connection';
import { excerpt } from './monitoring-get';

describe('monitoring connections from the environment', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-monitoring-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (env: NodeJS.ProcessEnv, system: 'PROMETHEUS' | 'ALERTMANAGER' = 'PROMETHEUS') => {
    try {
      loadMonitoringConnection(system, env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it('defaults to a local server with nothing else', () => {
    expect(loadMonitoringConnection('PROMETHEUS', {})).toEqual({ url: 'http://127.0.0.1:9090' });
    expect(loadMonitoringConnection('ALERTMANAGER', {})).toEqual({ url: 'http://127.0.0.1:9093' });
  });

  it('reads a bearer token from its file, and never shows it printed, inspected or serialised', () => {
    const path = file('token', 'glc_s3cr3t-token\n');
    const connection = loadMonitoringConnection('PROMETHEUS', {
      PROMETHEUS_URL: 'https://prometheus-prod-01.grafana.net/api/prom',
      PROMETHEUS_BEARER_TOKEN_FILE: path,
    });
    const auth = connection.auth as { bearer: { reveal(): string; from: string } };
    expect(auth.bearer.reveal()).toBe('glc_s3cr3t-token');
    expect(auth.bearer.from).toBe(`PROMETHEUS_BEARER_TOKEN_FILE (${path})`);
    for (const shown of [JSON.stringify(connection), inspect(connection, { depth: 5 }), `${auth.bearer}`]) {
      expect(shown).not.toContain('s3cr3t');
    }
    expect(JSON.stringify(connection)).toContain('[secret from PROMETHEUS_BEARER_TOKEN_FILE');
  });

  it('takes the secret out of an answer quoted in a message, even where the quote is cut', () => {
    const connection = loadMonitoringConnection('PROMETHEUS', { PROMETHEUS_BEARER_TOKEN: 'glc_s3cr3t-token' });
    expect(withoutSecrets(connection, 'invalid token glc_s3cr3t-token for tenant')).toBe(
      'invalid token [redacted] for tenant',
    );
    const echoed = `${'x'.repeat(190)} glc_s3cr3t-token`;
    expect(excerpt(connection, echoed)).not.toContain('glc_');
  });

  it('reads a token file again at each use, so a rotated token needs no restart', () => {
    const path = file('rotating', 'first\n');
    const { auth } = loadMonitoringConnection('ALERTMANAGER', { ALERTMANAGER_BEARER_TOKEN_FILE: path });
    const bearer = (auth as { bearer: { reveal(): string } }).bearer;
    expect(bearer.reveal()).toBe('first');
    writeFileSync(path, 'second');
    expect(bearer.reveal()).toBe('second');
    rmSync(path);
    expect(() => bearer.reveal()).toThrow(
      expect.objectContaining({
        code: 'METRICS_UNAVAILABLE',
        message: expect.stringMatching(/^ALERTMANAGER_BEARER_TOKEN_FILE \(.*rotating\) cannot be read/),
      }),
    );
  });

  it('takes basic auth, tenancy headers and TLS files for Alertmanager the same way', () => {
    const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
    const connection = loadMonitoringConnection('ALERTMANAGER', {
      ALERTMANAGER_URL: 'https://mimir.internal/alertmanager',
      ALERTMANAGER_BASIC_AUTH_USERNAME: '123456',
      ALERTMANAGER_BASIC_AUTH_PASSWORD: 'pa55word',
      ALERTMANAGER_HEADERS: ' X-Scope-OrgID=tenant-a|tenant-b , X-Extra=a=b ',
      ALERTMANAGER_TLS_CA_FILE: ca,
      ALERTMANAGER_TLS_SERVER_NAME: 'mimir.example',
    });
    expect(connection).toMatchObject({
      url: 'https://mimir.internal/alertmanager',
      auth: { username: '123456' },
      headers: { 'X-Scope-OrgID': 'tenant-a|tenant-b', 'X-Extra': 'a=b' },
      tls: { ca: expect.stringContaining('BEGIN CERTIFICATE'), serverName: 'mimir.example' },
    });
    expect(JSON.stringify(connection)).not.toContain('pa55word');
  });

  it.each([
    ['X-Scope-OrgID', /PROMETHEUS_HEADERS: "X-Scope-OrgID" is not Name=value/],
    ['Bad Name=v', /PROMETHEUS_HEADERS: "Bad" is not Name=value/],
    // written as a header line, the value must not come back in the message
    ['X-Api-Key: s3cr3t', /PROMETHEUS_HEADERS: "X-Api-Key" is not Name=value/],
    ['Authorization: Bearer s3cr3t', /PROMETHEUS_HEADERS: Authorization does not belong here/],
    ['X-Scope-OrgID=', /PROMETHEUS_HEADERS: X-Scope-OrgID needs a value/],
    ['A=1,a=2', /PROMETHEUS_HEADERS: a is given twice/],
    [
      'Authorization=Bearer s3cr3t',
      /PROMETHEUS_HEADERS: Authorization does not belong here: use PROMETHEUS_BEARER_TOKEN/,
    ],
  ])('refuses the headers %j, naming the variable', (headers, message) => {
    const text = refused({ PROMETHEUS_HEADERS: headers });
    expect(text).toMatch(message);
    expect(text).not.toContain('s3cr3t');
  });

  it('refuses contradictory or incomplete credentials, naming the variables and never a secret', () => {
    const token = file('token2', 's3cr3t');
    expect(refused({ PROMETHEUS_BEARER_TOKEN: 's3cr3t', PROMETHEUS_BEARER_TOKEN_FILE: token })).toMatch(
      /PROMETHEUS_BEARER_TOKEN and PROMETHEUS_BEARER_TOKEN_FILE: set one, not both/,
    );
    expect(refused({ PROMETHEUS_BASIC_AUTH_USERNAME: 'u' })).toMatch(/basic auth needs both a username and a password/);
    expect(refused({ PROMETHEUS_BASIC_AUTH_PASSWORD: 's3cr3t' })).toMatch(/PROMETHEUS_BASIC_AUTH_USERNAME/);
    expect(
      refused({
        PROMETHEUS_BEARER_TOKEN: 's3cr3t',
        PROMETHEUS_BASIC_AUTH_USERNAME: 'u',
        PROMETHEUS_BASIC_AUTH_PASSWORD: 's3cr3t',
      }),
    ).toMatch(/use one way to authenticate, not both/);
    expect(refused({ PROMETHEUS_BEARER_TOKEN_FILE: join(dir, 'missing') })).toMatch(
      /PROMETHEUS_BEARER_TOKEN_FILE: cannot read .*missing/,
    );
    expect(
      refused({ PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: file('empty', '\n'), PROMETHEUS_BASIC_AUTH_USERNAME: 'u' }),
    ).toMatch(/PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: the file is empty/);
    const inUrl = refused({ PROMETHEUS_URL: 'https://user:s3cr3t@prometheus.example' });
    expect(inUrl).toMatch(/PROMETHEUS_URL: must not carry credentials/);
    expect(inUrl).not.toContain('s3cr3t');
  });

  it('refuses TLS settings without https, and a client certificate without its key', () => {
    const cert = file('cert.pem', 'cert');
    expect(refused({ ALERTMANAGER_TLS_INSECURE_SKIP_VERIFY: 'true' }, 'ALERTMANAGER')).toMatch(
      /ALERTMANAGER_TLS_\*: TLS settings need an https:\/\/ ALERTMANAGER_URL/,
    );
    expect(refused({ PROMETHEUS_URL: 'https://p.example', PROMETHEUS_TLS_CERT_FILE: cert })).toMatch(
      /PROMETHEUS_TLS_CERT_FILE and PROMETHEUS_TLS_KEY_FILE: set both or neither/,
    );
    expect(refused({ PROMETHEUS_TLS_INSECURE_SKIP_VERIFY: 'yes' })).toMatch(/PROMETHEUS_TLS_INSECURE_SKIP_VERIFY/);
    expect(refused({ PROMETHEUS_URL: 'ftp://p.example' })).toMatch(/PROMETHEUS_URL: must be an http\(s\) URL/);
  });
});
