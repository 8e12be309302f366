import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TASK_QUEUE, loadPoolSize, loadTemporalSettings } from '../../libs/platform/src/config';
import {
  TEMPORAL_CONFIG_TEMPLATE,
  TEMPORAL_DYNAMIC_CONFIG,
  temporalProcessEnv,
  type TemporalService,
} from '../../libs/platform/src/temporal-cluster';
import { SLUICE_DEV_SERVER_CONFIG } from '../../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/rollout.search-attributes';
import {
  compose,
  hostPath,
  readYaml,
  ROOT,
  script,
  TEMPORAL_SERVER_IMAGE,
  temporalServerCommand,
  temporalServers,
} from './compose-file';

/**
 * `npm run cluster` (scripts/cluster.ts, libs/platform/src/temporal-cluster.ts) and
 * docker-compose.yml are one topology in two forms, on one Temporal config template
 * (deploy/temporal/temporal.yaml). This spec fails when they drift apart. The rendered
 * configs themselves are compared by test/cluster/cluster-config.cluster-spec.ts.
 */
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const services = compose.services;
const temporal = temporalServers();

/** The processes startTemporalCluster() runs by default (two history processes), by name. */
const CLUSTER_PROCESSES: Array<[name: string, service: TemporalService]> = [
  ['frontend', 'frontend'],
  ['history-1', 'history'],
  ['history-2', 'history'],
  ['matching', 'matching'],
  ['worker', 'worker'],
];

/** The environment temporalProcessEnv() gives each of those processes, on made-up ports. */
const clusterEnvs = CLUSTER_PROCESSES.map(([name, service], i) => {
  const ports = { grpc: 30_000 + i, membership: 20_000 + i, metrics: 31_000 + i };
  const options = {
    projectRoot: ROOT,
    postgres: { host: '127.0.0.1', port: 5432, user: 'sluice', password: 'sluice' },
  };
  return [name, temporalProcessEnv(options, { name, service, ports }, { grpc: 30_000, http: 30_100 })] as const;
});

/** Variables the template reads: each with whether every read of it has a `default`. */
function templateVariables(): Map<string, { defaulted: boolean }> {
  const template = read(TEMPORAL_CONFIG_TEMPLATE);
  const variables = new Map<string, { defaulted: boolean }>();
  for (const match of template.matchAll(/(default\s+"[^"]*"\s+\()?env\s+"(\w+)"/g)) {
    const defaulted = match[1] !== undefined;
    const seen = variables.get(match[2]);
    variables.set(match[2], { defaulted: (seen?.defaulted ?? true) && defaulted });
  }
  return variables;
}

const variables = templateVariables();
const required = [...variables].filter(([, v]) => !v.defaulted).map(([name]) => name);
const shell = (name: string) => script([...(services[name]?.entrypoint ?? []), ...(services[name]?.command ?? [])]);

describe('npm run cluster and docker-compose.yml: one Temporal topology', () => {
  it('reads a template that renders itself and reads variables, some of them without a default', () => {
    expect(read(TEMPORAL_CONFIG_TEMPLATE).split('\n')[0]).toBe('# enable-template');
    expect(required).toEqual(
      expect.arrayContaining(['TEMPORAL_PG_HOST', 'TEMPORAL_FRONTEND_ADDRESS', 'TEMPORAL_DYNAMIC_CONFIG']),
    );
  });

  it('runs the Temporal server image of the version scripts/build-temporal-server.sh builds', () => {
    const version = /^TEMPORAL_SERVER_VERSION=(\S+)$/m.exec(read('scripts/build-temporal-server.sh'))?.[1];
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name, s] of temporal)
      expect({ name, image: s.image }).toEqual({ name, image: `${TEMPORAL_SERVER_IMAGE}:${version}` });
    // the schema and setup jobs' tools and schemas match the server
    for (const name of ['temporal-schema', 'temporal-setup']) {
      expect({ name, image: services[name].image }).toEqual({ name, image: `temporalio/admin-tools:${version}` });
    }
  });

  it('runs exactly the processes npm run cluster runs, each the service its name says, on the template', () => {
    const names = temporal.map(([name]) => name.replace(/^temporal-/, '')).sort();
    expect(names).toEqual(CLUSTER_PROCESSES.map(([name]) => name).sort());
    for (const [name, s] of temporal) {
      const run = temporalServerCommand(s);
      expect({ name, ...run }).toEqual({
        name,
        configFile: TEMPORAL_CONFIG_TEMPLATE,
        service: CLUSTER_PROCESSES.find(([process]) => `temporal-${process}` === name)![1],
      });
      expect(s.volumes?.find((v) => v.startsWith('./deploy/temporal:'))).toMatch(/:ro$/);
      // the other processes reach this one at the container's own address
      expect(shell(name)).toMatch(/export TEMPORAL_BROADCAST_ADDRESS="\$\(getent hosts "\$\(hostname\)"/);
      expect(s.environment!.TEMPORAL_BIND_ON_IP).toBe('0.0.0.0');
    }
  });

  it('sets every variable the template reads without a default, in compose and in temporalProcessEnv()', () => {
    for (const [name, s] of temporal) {
      // the entrypoint sets the broadcast address
      const env: Record<string, string> = { ...s.environment, TEMPORAL_BROADCAST_ADDRESS: 'the container IP' };
      const missing = required.filter((v) => !env[v]);
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
    for (const [name, env] of clusterEnvs) {
      const missing = required.filter((v) => !env[v]);
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
  });

  it('sets no variable the template does not read', () => {
    for (const [name, env] of [...temporal.map(([name, s]) => [name, s.environment ?? {}] as const), ...clusterEnvs]) {
      const unread = Object.keys(env).filter((v) => !variables.has(v));
      expect({ name, unread }).toEqual({ name, unread: [] });
    }
    expect(shell('temporal-frontend')).toContain('TEMPORAL_BROADCAST_ADDRESS');
    expect(variables.has('TEMPORAL_BROADCAST_ADDRESS')).toBe(true);
  });

  it('points every process at the dynamic config the dev server also gets, and it has the same values', () => {
    for (const [name, s] of temporal) {
      expect({ name, file: hostPath(s, s.environment!.TEMPORAL_DYNAMIC_CONFIG) }).toEqual({
        name,
        file: TEMPORAL_DYNAMIC_CONFIG,
      });
    }
    for (const [name, env] of clusterEnvs) {
      expect({ name, file: env.TEMPORAL_DYNAMIC_CONFIG }).toEqual({ name, file: join(ROOT, TEMPORAL_DYNAMIC_CONFIG) });
    }
    const dynamic = readYaml(TEMPORAL_DYNAMIC_CONFIG) as Record<
      string,
      Array<{ value: unknown; constraints?: object }>
    >;
    const values = Object.fromEntries(
      Object.entries(dynamic).map(([key, entries]) => {
        expect({ key, entries: entries.length, constrained: entries[0].constraints }).toEqual({
          key,
          entries: 1,
          constrained: undefined,
        });
        return [key, String(entries[0].value)];
      }),
    );
    const dev = Object.fromEntries(Object.entries(SLUICE_DEV_SERVER_CONFIG).map(([k, v]) => [k, String(v)]));
    expect(values).toEqual(dev);
  });

  it('sets up the databases the processes use, with the schemas temporal-setup.ts applies', () => {
    const env = temporal[0][1].environment!;
    const schema = shell('temporal-schema');
    for (const [db, name] of [
      [env.TEMPORAL_DB, 'postgresql/v12/temporal'],
      [env.TEMPORAL_VISIBILITY_DB, 'postgresql/v12/visibility'],
    ]) {
      expect(schema).toContain(`--db ${db} create-database`);
      expect(schema).toContain(`--db ${db} setup-schema -v 0.0`);
      expect(schema).toContain(`--db ${db} update-schema --schema-name ${name}`);
    }
    expect(schema).toContain(`--plugin postgres12 --ep ${env.TEMPORAL_PG_HOST} --port ${env.TEMPORAL_PG_PORT}`);
    expect(services['temporal-schema'].environment).toEqual({
      SQL_USER: env.TEMPORAL_PG_USER,
      SQL_PASSWORD: env.TEMPORAL_PG_PASSWORD,
    });
    const pg = services.postgresql.environment!;
    expect([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD]).toEqual([env.TEMPORAL_PG_USER, env.TEMPORAL_PG_PASSWORD]);
  });

  it("registers the namespace Sluice uses and Sluice's search attributes, with their types", () => {
    const setup = shell('temporal-setup');
    const namespace = loadTemporalSettings({}).namespace;
    expect(setup).toContain(`temporal operator namespace create --namespace ${namespace}`);
    const list = /for attribute in ([^;]+); do/.exec(setup)?.[1].trim().split(/\s+/) ?? [];
    const typeName = { KEYWORD: 'Keyword', INT: 'Int', KEYWORD_LIST: 'KeywordList' } as Record<string, string>;
    expect(list.sort()).toEqual(SLUICE_SEARCH_ATTRIBUTES.map((k) => `${k.name}:${typeName[k.type]}`).sort());
    expect(setup).toContain(`temporal operator search-attribute create --namespace ${namespace} --name`);
  });

  it('gives the gateways and workers the settings npm run cluster gives them, where the two overlap', () => {
    const sluice = Object.entries(services).filter(([, s]) =>
      s.command?.join(' ').match(/dist\/apps\/(gateway|worker)\//),
    );
    expect(sluice.length).toBe(4);
    const frontend = services['temporal-frontend'].environment!.TEMPORAL_FRONTEND_ADDRESS;
    for (const [name, s] of sluice) {
      const settings = loadTemporalSettings(s.environment);
      // cluster.ts: SLUICE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE, TEMPORAL_NAMESPACE and PG_POOL_MAX left to their defaults
      expect({ name, taskQueue: settings.taskQueue, namespace: settings.namespace }).toEqual({
        name,
        taskQueue: DEFAULT_TASK_QUEUE,
        namespace: loadTemporalSettings({}).namespace,
      });
      expect({ name, pool: loadPoolSize(s.environment) }).toEqual({ name, pool: loadPoolSize({}) });
      expect({ name, address: settings.address }).toEqual({ name, address: frontend });
      expect(s.depends_on).toMatchObject({ 'temporal-setup': { condition: 'service_completed_successfully' } });
    }
  });
});
