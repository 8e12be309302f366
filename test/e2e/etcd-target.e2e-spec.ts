import { Etcd3 } from 'etcd3';
import { configHash } from '../../libs/targets/src/config-hash';
import { startAppStack, type AppStack } from '../support/app-stack';
import { describeWithEtcd, startEtcd, type EtcdServer } from '../support/etcd';
import { EndpointPolicy } from '../../libs/targets/src/endpoint-policy';
import { readUntil } from '../support/eventually';
import { startRollout, waitForApproval, waitForRollout } from '../support/fixtures';
import { graphql } from '../support/graphql-client';

const REGIONS = ['et-canary-1', 'et-west-1', 'et-west-2', 'et-east-1', 'et-east-2', 'et-south-1'];

/**
 * A service whose regions are etcd keys, end to end on the real stack and a real etcd: wave by
 * wave to every key, a halt that restores every key it touched, and a service mixing etcd keys
 * with HTTP regions.
 */
describeWithEtcd('regions that are etcd keys, end to end', () => {
  let stack: AppStack;
  let etcd: EtcdServer;
  let direct: Etcd3;
  const service = `etcd-${Date.now()}`;
  const key = (region: string) => `sluice/${service}/${region}`;
  const envelope = async (region: string) => {
    const text = await direct.get(key(region)).string();
    return text === null ? null : (JSON.parse(text) as { version: string; configHash: string });
  };

  async function register(name: string, regions: Array<{ name: string; endpoint?: string; target?: unknown }>) {
    const res = await graphql(
      stack.gateway.url,
      'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      {
        input: {
          name,
          regions: regions.map((r, i) => ({ ...r, tier: i === 0 ? 'CANARY' : 'STANDARD' })),
        },
      },
      'admin',
    );
    expect(res.errors).toBeUndefined();
  }

  beforeAll(async () => {
    etcd = await startEtcd();
    direct = new Etcd3({ hosts: `http://${etcd.address}` });
    // loopback only, and one loopback address denied: what a team's lists would say of its network
    stack = await startAppStack({
      regions: ['http-1', 'http-2'],
      endpointPolicy: new EndpointPolicy({ allow: ['127.0.0.0/8', '*.sluice.test'], deny: ['127.0.0.2'] }),
    });
    await register(
      service,
      // registered with typed fields; the mixed service below names its keys as etcd:// URLs
      REGIONS.map((name) => ({ name, target: { etcd: { endpoints: [etcd.address], key: key(name) } } })),
    );
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    direct?.close();
    await etcd?.stop();
  });

  const strategy = { canaryMaxShare: 0.2, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false };

  it('rolls a version out wave by wave to every key, as an envelope of version, hash and config', async () => {
    const id = await startRollout(stack, { service, version: 'v1', config: { limit: 1 }, strategy });
    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED']);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.filter((e) => e.type === 'WaveStarted').length).toBeGreaterThanOrEqual(3);
    for (const region of REGIONS) {
      expect(await envelope(region)).toEqual({
        version: 'v1',
        configHash: configHash({ limit: 1 }),
        config: { limit: 1 },
      });
    }
  });

  it('a halt restores every key it touched to its previous envelope', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { limit: 2 },
      strategy: { ...strategy, approvalAfterCanary: true },
    });
    await waitForApproval(stack, id);
    expect((await envelope('et-canary-1'))?.version).toBe('v2');
    const halted = await graphql<{ haltRollout: { outcome: string } }>(
      stack.gateway.url,
      `mutation { haltRollout(id: "${id}", reason: "etcd spec") { outcome } }`,
      {},
      'carol',
    );
    expect(halted.data?.haltRollout.outcome).toBe('HALTED');
    const stopped = await waitForRollout(stack, id, ['ROLLED_BACK', 'ROLLBACK_FAILED', 'SUCCEEDED']);
    expect(stopped.status).toBe('ROLLED_BACK');
    for (const region of REGIONS) expect((await envelope(region))?.version).toBe('v1');
  });

  it('refuses an etcd endpoint with an inline password or no key, before anything is stored', async () => {
    for (const endpoint of [`etcd://root:pw@${etcd.address}/k`, `etcd://${etcd.address}/`]) {
      const res = await graphql(
        stack.gateway.url,
        'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
        { input: { name: `bad-${Date.now()}`, regions: [{ name: 'r1', endpoint, tier: 'CANARY' }] } },
        'admin',
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(res.errors)).not.toContain(':pw@');
    }
  });

  it('refuses endpoints the allow- and deny-lists refuse, naming the list, before anything is stored', async () => {
    const name = `listed-${Date.now()}`;
    const res = await graphql(
      stack.gateway.url,
      'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      {
        input: {
          name,
          regions: [
            { name: 'r1', tier: 'CANARY', endpoint: `etcd://${etcd.address}/ok` },
            { name: 'r2', endpoint: 'etcd://10.0.0.5:2379/k' },
            { name: 'r3', endpoint: 'http://127.0.0.2:8080/regions/r3' },
            { name: 'r4', target: { etcd: { endpoints: [etcd.address, '192.168.1.9:2379'], key: 'k' } } },
          ],
        },
      },
      'admin',
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [
        { field: 'regions.1.endpoint', message: '10.0.0.5 is not in SLUICE_TARGET_ALLOW' },
        { field: 'regions.2.endpoint', message: '127.0.0.2 is denied by SLUICE_TARGET_DENY' },
        { field: 'regions.3.endpoint', message: '192.168.1.9 is not in SLUICE_TARGET_ALLOW' },
      ],
    });
    const known = await graphql(stack.gateway.url, `{ service(name: "${name}") { name } }`, {}, 'alice');
    expect(known.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('rolls one service out over regions of two kinds: etcd keys and HTTP regions', async () => {
    const mixed = `mixed-${Date.now()}`;
    await register(mixed, [
      { name: 'http-1', endpoint: `${stack.regionSim.url}/regions/http-1` },
      { name: 'mx-etcd-1', endpoint: `etcd://${etcd.address}/sluice/${mixed}/mx-etcd-1` },
      { name: 'http-2', endpoint: `${stack.regionSim.url}/regions/http-2` },
      { name: 'mx-etcd-2', endpoint: `etcd://${etcd.address}/sluice/${mixed}/mx-etcd-2` },
    ]);
    const id = await startRollout(stack, {
      service: mixed,
      version: 'm1',
      config: { on: true },
      strategy: { ...strategy, canaryMaxShare: 0.3 },
    });
    expect((await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'])).status).toBe('SUCCEEDED');
    expect(stack.regionSim.fleet.get('http-1')!.version).toBe('m1');
    expect(stack.regionSim.fleet.get('http-2')!.version).toBe('m1');
    for (const r of ['mx-etcd-1', 'mx-etcd-2']) {
      expect(JSON.parse((await direct.get(`sluice/${mixed}/${r}`).string()) ?? 'null')).toMatchObject({
        version: 'm1',
      });
    }

    // each region's kind, in the topology, in what it serves now and in what changed it
    const kinds = { 'http-1': 'HTTP', 'http-2': 'HTTP', 'mx-etcd-1': 'ETCD', 'mx-etcd-2': 'ETCD' };
    const window = {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    };
    const changesOf = Object.keys(kinds)
      .map((r, i) => `c${i}: changes(region: "${r}", service: $s, from: $from, to: $to) { region targetKind }`)
      .join('\n');
    type Kinds = Array<{ region: string; targetKind: string }>;
    const read = async () => {
      const { data } = await graphql<Record<string, Kinds> & { regionVersions: Kinds }>(
        stack.gateway.url,
        `query ($s: String!, $from: DateTime!, $to: DateTime!) {
          regionVersions(service: $s) { region targetKind }
          ${changesOf}
        }`,
        { s: mixed, ...window },
        'alice',
      );
      return data!;
    };
    const seen = await readUntil(
      read,
      (d) => Object.values(d).every((rows) => rows.length > 0) && d.regionVersions.length === 4,
      {
        what: 'region_versions and region_changes to show the mixed rollout',
      },
    );
    const byRegion = (rows: Kinds) => Object.fromEntries(rows.map((r) => [r.region, r.targetKind]));
    expect(byRegion(seen.regionVersions)).toEqual(kinds);
    expect(byRegion(Object.keys(kinds).flatMap((_, i) => seen[`c${i}`]))).toEqual(kinds);
    const topology = await graphql<{ service: { regions: Kinds } }>(
      stack.gateway.url,
      `query { service(name: "${mixed}") { regions { region: name targetKind } } }`,
      {},
      'alice',
    );
    expect(byRegion(topology.data!.service.regions)).toEqual(kinds);
  });
});
