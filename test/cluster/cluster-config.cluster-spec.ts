import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  TEMPORAL_CONFIG_TEMPLATE,
  TEMPORAL_DYNAMIC_CONFIG,
  temporalProcessEnv,
  temporalServerBinaries,
  type TemporalService,
} from '../../libs/platform/src/temporal-cluster';
import { ROOT, temporalServerCommand, temporalServers } from '../deploy/compose-file';

/**
 * deploy/temporal/temporal.yaml rendered by the real server binary, once with each compose
 * Temporal service's environment and once with what temporalProcessEnv() gives the same
 * process under `npm run cluster`: the persistence, membership and service blocks have the
 * same shape and values, except addresses and ports. test/deploy/cluster-config.spec.ts checks
 * the variables without the binary.
 */
const server = temporalServerBinaries(ROOT).server;
let configDir: string;

beforeAll(() => {
  // render-config of 1.32 ignores --config-file and reads <dir>/development.yaml (temporalio/temporal#10410)
  configDir = mkdtempSync(join(tmpdir(), 'sluice-render-config-'));
  copyFileSync(join(ROOT, TEMPORAL_CONFIG_TEMPLATE), join(configDir, 'development.yaml'));
});
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

type Rendered = Record<string, unknown>;

/** The config the server would run with, given only `env` (nothing of this process's own environment). */
function render(env: Record<string, string>): Rendered {
  const result = spawnSync(server, ['--config', configDir, 'render-config'], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`render-config failed: ${result.stderr || result.stdout}`);
  return parse(result.stdout) as Rendered;
}

const ADDRESS_KEYS = new Set(['broadcastAddress', 'bindOnIP', 'connectAddr', 'listenAddress']);
const PORT_KEYS = new Set(['grpcPort', 'membershipPort', 'httpPort']);

/** The blocks the two must agree on, with each address and port replaced by what it is. */
function comparable(config: Rendered) {
  const blank = (value: unknown, key?: string): unknown => {
    if (key && ADDRESS_KEYS.has(key)) return '<address>';
    if (key && PORT_KEYS.has(key)) return typeof value === 'number' && value > 0 ? '<port>' : value;
    if (Array.isArray(value)) return value.map((v) => blank(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, blank(v, k)]));
    }
    return value;
  };
  const global = config.global as { membership: unknown };
  return blank({ persistence: config.persistence, membership: global.membership, services: config.services });
}

const membershipPorts = (config: Rendered) =>
  Object.values(config.services as Record<string, { rpc: { membershipPort: number } }>).map(
    (s) => s.rpc.membershipPort,
  );

/** Each compose Temporal service, with the environment its entrypoint completes. */
const composeProcesses = temporalServers().map(([name, s]) => ({
  name,
  service: temporalServerCommand(s).service as TemporalService,
  env: { ...s.environment!, TEMPORAL_BROADCAST_ADDRESS: '172.18.0.7' },
}));

const CLUSTER_FRONTEND = { grpc: 40_003, http: 40_004 };
const clusterGrpcPort = (service: TemporalService) => (service === 'frontend' ? CLUSTER_FRONTEND.grpc : 40_001);

function clusterEnv(name: string, service: TemporalService): Record<string, string> {
  const ports = { grpc: clusterGrpcPort(service), membership: 20_001, metrics: 40_002 };
  const options = {
    projectRoot: ROOT,
    postgres: { host: '127.0.0.1', port: 54329, user: 'sluice', password: 'sluice' },
  };
  return temporalProcessEnv(options, { name, service, ports }, CLUSTER_FRONTEND);
}

describe('deploy/temporal/temporal.yaml rendered by temporal-server, compose against npm run cluster', () => {
  it.each(composeProcesses.map((p) => [p.name, p] as const))('%s', (name, process) => {
    const fromCompose = render(process.env);
    const fromCluster = render(clusterEnv(name.replace(/^temporal-/, ''), process.service));
    expect(comparable(fromCompose)).toEqual(comparable(fromCluster));

    // the values that differ are the ones each environment asked for
    const rpc = (config: Rendered) =>
      (config.services as Record<string, { rpc: { grpcPort: number; bindOnIP: string } }>)[process.service].rpc;
    expect(rpc(fromCompose)).toMatchObject({ bindOnIP: '0.0.0.0' });
    expect(rpc(fromCluster)).toMatchObject({
      bindOnIP: '127.0.0.1',
      grpcPort: clusterGrpcPort(process.service),
    });
    const membership = (config: Rendered) => (config.global as { membership: unknown }).membership;
    expect(membership(fromCompose)).toMatchObject({ broadcastAddress: '172.18.0.7' });
    expect(membership(fromCluster)).toMatchObject({ broadcastAddress: '127.0.0.1' });
    // cluster_membership.rpc_port is a PostgreSQL smallint
    for (const port of [...membershipPorts(fromCompose), ...membershipPorts(fromCluster)]) {
      expect(port).toBeLessThan(32_768);
    }
  });

  it('has dynamic config whose every key the server knows, with values of the right type', () => {
    const result = spawnSync(server, ['validate-dynamic-config', join(ROOT, TEMPORAL_DYNAMIC_CONFIG)], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).not.toMatch(/warning|error/i);
  });
});
