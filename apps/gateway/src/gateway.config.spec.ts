import { ConfigError } from '../../../libs/platform/src/config';
import { loadGatewayConfig } from './gateway.config';

describe('gateway configuration from the environment', () => {
  const gateway = { DATABASE_URL: 'postgres://sluice@db/sluice', SLUICE_MODE: 'development' };

  it('reads Prometheus with the same settings as the worker: credentials, tenancy headers', () => {
    const config = loadGatewayConfig({
      ...gateway,
      PROMETHEUS_URL: 'https://mimir.example/prometheus',
      PROMETHEUS_BASIC_AUTH_USERNAME: '123456',
      PROMETHEUS_BASIC_AUTH_PASSWORD: 'glc_s3cr3t',
      PROMETHEUS_HEADERS: 'X-Scope-OrgID=tenant-a',
    });
    expect(config.prometheus).toMatchObject({
      url: 'https://mimir.example/prometheus',
      auth: { username: '123456', password: { from: 'PROMETHEUS_BASIC_AUTH_PASSWORD' } },
      headers: { 'X-Scope-OrgID': 'tenant-a' },
    });
    expect(JSON.stringify(config)).not.toContain('glc_s3cr3t');
  });

  it('stops on a malformed monitoring setting, naming the variable', () => {
    expect(() => loadGatewayConfig({ ...gateway, PROMETHEUS_HEADERS: 'X-Scope-OrgID' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ ...gateway, PROMETHEUS_BASIC_AUTH_USERNAME: 'u' })).toThrow(
      /PROMETHEUS_BASIC_AUTH_USERNAME and PROMETHEUS_BASIC_AUTH_PASSWORD\(_FILE\)/,
    );
  });
});
