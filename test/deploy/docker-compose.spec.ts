import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGatewayConfig } from '../../apps/gateway/src/gateway.config';
import { loadRegionSimConfig } from '../../apps/region-sim/src/region-sim.config';
import { loadWorkerConfig } from '../../apps/worker/src/worker.config';
import { compose, type ComposeService, readYaml as read, ROOT, temporalServers } from './compose-file';

/**
 * docker-compose.yml, checked without a Docker engine: pinned images, every setting a Sluice
 * process reads (validated by the process's own config loader), no colliding ports, existing
 * depends_on targets, and Prometheus scraping exactly the Sluice and Temporal processes. Its Temporal part
 * against `npm run cluster`: test/deploy/cluster-config.spec.ts.
 */
const services = compose.services;
const sluice = (main: string) =>
  Object.entries(services).filter(([, s]) => s.command?.join(' ').includes(`dist/apps/${main}/src/main.js`));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The service's environment, with file paths it mounts rewritten to the files in this repository. */
function hostEnv(service: ComposeService): NodeJS.ProcessEnv {
  const mounts = (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([from]) => from.startsWith('./'))
    .map(([from, to]) => [to, join(ROOT, from)] as const);
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, mounts.find(([to]) => to === v)?.[1] ?? v]),
  );
}

const hostOf = (url: string) => new URL(url.includes('://') ? url : `tcp://${url}`).hostname;

describe('docker-compose.yml', () => {
  it('has the whole topology: PostgreSQL, Temporal as 5 processes with its schema and setup jobs, UI, Prometheus, Alertmanager, 2 gateways, 2 workers, region-sim', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'alertmanager',
        'gateway-1',
        'gateway-2',
        'migrate',
        'postgresql',
        'prometheus',
        'region-sim',
        'temporal-frontend',
        'temporal-history-1',
        'temporal-history-2',
        'temporal-matching',
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
        'temporal-worker',
        'worker-1',
        'worker-2',
      ].sort(),
    );
    expect(sluice('gateway').map(([name]) => name)).toEqual(['gateway-1', 'gateway-2']);
    expect(sluice('worker').map(([name]) => name)).toEqual(['worker-1', 'worker-2']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['alertmanager-data', 'pgdata', 'prometheus-data']);
  });

  it('pins every image to a version, never latest, and tags its own image with the package version', () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, image: s.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:[\w.-]+$/) });
      expect({ name, latest: s.image!.endsWith(':latest') }).toEqual({ name, latest: false });
      if (s.build !== undefined) expect(s.image).toBe(`sluice:${version}`);
    }
  });

  it('sets every variable each Sluice process reads: its own config loader accepts the environment', () => {
    for (const [name, s] of sluice('gateway')) {
      const config = loadGatewayConfig(hostEnv(s));
      expect({ name, host: config.host, mode: config.development }).toEqual({ name, host: '0.0.0.0', mode: false });
      expect(config.tokens.size).toBeGreaterThan(0);
      expect(hostOf(config.prometheus.url)).toBe('prometheus');
    }
    for (const [, s] of sluice('worker')) {
      const config = loadWorkerConfig(hostEnv(s));
      expect(hostOf(config.alertmanager.url)).toBe('alertmanager');
      expect(config.workflowBundlePath).toBe('/app/dist/workflow-bundle.js');
      // Prometheus scrapes the worker's metrics and the SDK's from another container
      expect({ host: config.metricsHost, sdkPort: config.sdkMetricsPort }).toEqual({ host: '0.0.0.0', sdkPort: 9465 });
    }
    for (const [, s] of [...sluice('gateway'), ...sluice('worker')]) {
      const env = hostEnv(s);
      expect(hostOf(env.DATABASE_URL!)).toBe('postgresql');
      expect(hostOf(env.TEMPORAL_ADDRESS!)).toBe('temporal-frontend');
      expect(s.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
      expect(s.healthcheck).toBeDefined();
    }
    const [[, sim]] = sluice('region-sim');
    expect(loadRegionSimConfig(hostEnv(sim))).toMatchObject({ host: '0.0.0.0', port: 4100 });
  });

  it('mounts only files that exist, publishes no host port twice, and depends only on services that exist', () => {
    const hostPorts: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const from = v.split(':')[0];
        if (from.startsWith('./'))
          expect({ name, from, exists: existsSync(join(ROOT, from)) }).toEqual({ name, from, exists: true });
        else expect(Object.keys(compose.volumes)).toContain(from);
      }
      hostPorts.push(...(s.ports ?? []).map((p) => p.split(':')[0]));
      for (const target of Object.keys(s.depends_on ?? {})) expect(Object.keys(services)).toContain(target);
    }
    expect(hostPorts.filter((p, i) => hostPorts.indexOf(p) !== i)).toEqual([]);
  });

  it('has Prometheus scrape every Sluice process, every Temporal process and region-sim on the port each listens on, and nothing else', () => {
    const prometheus = read('deploy/compose/prometheus.yml') as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((sc) => sc.targets)).sort();
    const expected = [
      ...sluice('gateway').map(([name, s]) => `${name}:${s.environment!.GATEWAY_PORT}`),
      ...sluice('worker').map(([name, s]) => `${name}:${s.environment!.WORKER_METRICS_PORT}`),
      ...sluice('worker').map(([name, s]) => `${name}:${s.environment!.WORKER_SDK_METRICS_PORT}`),
      ...sluice('region-sim').map(([name, s]) => `${name}:${s.environment!.REGION_SIM_PORT}`),
      ...temporalServers().map(([name, s]) => `${name}:${s.environment!.TEMPORAL_METRICS_PORT}`),
    ].sort();
    expect(targets).toEqual(expected);
  });

  it('routes Alertmanager to the gateways’ webhook with a token the gateways accept', () => {
    const alertmanager = read('deploy/compose/alertmanager.yml') as {
      receivers: Array<{ webhook_configs: Array<{ url: string }> }>;
    };
    const urls = alertmanager.receivers.flatMap((r) => r.webhook_configs.map((w) => w.url));
    expect(urls).toEqual(sluice('gateway').map(([name]) => `http://${name}:4000/hooks/alertmanager`));
    const token = readFileSync(join(ROOT, 'deploy/compose/alertmanager-token.example'), 'utf8').trim();
    const [[, gateway]] = sluice('gateway');
    const principal = loadGatewayConfig(hostEnv(gateway)).tokens.resolve(token);
    expect(principal?.roles).toContain('deployer');
  });
});
