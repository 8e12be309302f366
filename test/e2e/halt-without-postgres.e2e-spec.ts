import { Client } from 'pg';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { testServices } from '../support/test-env';

const REGIONS = ['nopg-canary', 'nopg-a', 'nopg-b'];

/**
 * Issue 17 (2): a halt must land while Sluice's own PostgreSQL is down. The gateway and the
 * worker reach PostgreSQL through a proxy the spec cuts; Temporal stays up.
 */
describe('haltRollout while PostgreSQL is down', () => {
  let stack: AppStack;
  let proxy: TcpProxy;
  const service = `nopg-${Date.now()}`;
  const served = async (region: string) =>
    ((await (await fetch(`${stack.regionSim.url}/regions/${region}/config`)).json()) as { version: string | null })
      .version;

  beforeAll(async () => {
    const direct = new URL(testServices().databaseUrl);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port));
    const viaProxy = new URL(direct);
    viaProxy.port = String(proxy.port);
    stack = await startAppStack({ regions: REGIONS, databaseUrl: viaProxy.toString() });
    await registerService(
      stack,
      service,
      REGIONS.map((name, i) => ({ name, tier: i === 0 ? 'CANARY' : 'STANDARD', weight: i === 0 ? 1 : 2 })),
    );
  });
  afterAll(async () => {
    proxy?.heal();
    await stack?.stop();
    await proxy?.close();
  });

  it('halts and restores every touched region with the database away, and records each event once after', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { greeting: 'bad' },
      strategy: { canaryMaxShare: 0.25, growthFactor: 4, bakeSeconds: 600, approvalAfterCanary: false },
    });
    await eventually(async () => ((await served('nopg-canary')) === 'v2' ? true : undefined), {
      what: 'the canary serving v2',
      timeoutMs: 30_000,
    });

    proxy.cut();
    const started = Date.now();
    const res = await graphql<{ haltRollout: { outcome: string; recorded: boolean; status: string } }>(
      stack.gateway.url,
      `mutation { haltRollout(id: "${id}", reason: "error budget burning") { outcome recorded status } }`,
      {},
      'alice',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.haltRollout).toMatchObject({ outcome: 'HALTED', recorded: false });
    expect(Date.now() - started).toBeLessThan(10_000);
    // restored while PostgreSQL is still away
    await eventually(async () => ((await served('nopg-canary')) === null ? true : undefined), {
      what: 'the canary restored (it served nothing before)',
      timeoutMs: 30_000,
    });

    proxy.heal();
    const db = new Client({ connectionString: testServices().databaseUrl });
    await db.connect();
    try {
      const types = await eventually(
        async () => {
          const { rows } = await db.query<{ type: string }>(
            'SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_position',
            [id],
          );
          return rows.some((r) => r.type === 'RolloutRolledBack') ? rows.map((r) => r.type) : undefined;
        },
        { what: 'the rollback recorded once PostgreSQL is back', timeoutMs: 60_000 },
      );
      expect(types.filter((t) => t === 'RolloutHalted')).toHaveLength(1);
      expect(types.filter((t) => t === 'RegionRolledBack')).toHaveLength(1);
      expect(types.indexOf('RolloutHalted')).toBeLessThan(types.indexOf('RegionRolledBack'));
    } finally {
      await db.end();
    }
  });
});
