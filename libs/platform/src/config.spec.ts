import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPoolSize, loadTemporalSettings, temporalConnectionOptions } from './config';

const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
const cert = join(dir, 'client.pem');
const key = join(dir, 'client.key');
writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n');
writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n');

describe('configuration from the environment', () => {
  it('connects to a local server in plain text by default', () => {
    const settings = loadTemporalSettings({});
    expect(settings).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'sluice-rollouts' });
    expect(temporalConnectionOptions(settings)).toEqual({ address: '127.0.0.1:7233' });
  });

  it('reads mTLS files and a Temporal Cloud API key under the envconfig names', () => {
    const mtls = loadTemporalSettings({
      TEMPORAL_ADDRESS: 'sluice.abcde.tmprl.cloud:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    });
    const options = temporalConnectionOptions(mtls);
    expect(options.tls).toMatchObject({ clientCertPair: { crt: expect.any(Buffer), key: expect.any(Buffer) } });
    expect((options.tls as { clientCertPair: { crt: Buffer } }).clientCertPair.crt.toString()).toContain(
      'BEGIN CERTIFICATE',
    );
    const cloud = temporalConnectionOptions(loadTemporalSettings({ TEMPORAL_API_KEY: 'key-123' }));
    expect(cloud).toMatchObject({ apiKey: 'key-123', tls: true });
  });

  it('stops with a message naming the variable when a setting is wrong', () => {
    expect(() => loadTemporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem') })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read .*missing\.pem/,
    );
    expect(() => loadTemporalSettings({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: set both or neither/,
    );
    expect(() => loadPoolSize({ PG_POOL_MAX: '0' })).toThrow(/PG_POOL_MAX/);
  });
});
