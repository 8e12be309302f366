import type { Pool } from 'pg';
import { upcastEventData } from '../../libs/domain/src';
import { PgEventStore } from '../../libs/event-store/src';
import { Projector, ReadModels } from '../../libs/projections/src';
import { abortUpdate } from '../../workflows/rollout.messages';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const REGIONS = [
  { name: 'pc1', tier: 'canary' as const, weight: 1 },
  { name: 'pa1', tier: 'standard' as const, weight: 2 },
  { name: 'pb1', tier: 'standard' as const, weight: 3 },
];
const WAVES = [{ regions: ['pc1'], bakeSeconds: 0 }, { regions: ['pa1'] }, { regions: ['pb1'] }];

/** Every row of the projections, in a stable order, for before/after comparisons. */
async function snapshot(pool: Pool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    rollouts: await q('SELECT * FROM rollouts ORDER BY id'),
    regionVersions: await q('SELECT * FROM region_versions ORDER BY service, region'),
    regionChanges: await q('SELECT * FROM region_changes ORDER BY global_position'),
  };
}

describe('projections over a mixed workload (real workflows, real PostgreSQL)', () => {
  let h: WorkflowHarness;
  let projector: Projector;
  let readModels: ReadModels;
  const services: string[] = [];

  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
    projector = new Projector(h.pool, new PgEventStore(h.pool, upcastEventData), undefined, 7);
    readModels = new ReadModels(h.pool);
    h.reset(1);

    // success, gate failure rolled back, abort rolled back, success again; projecting as we go,
    // with two catch-ups racing each other
    const run = async (overrides: Parameters<WorkflowHarness['start']>[0], act?: (id: string) => Promise<void>) => {
      const handle = await h.start({ waves: WAVES, ...overrides });
      const { rolloutId } = await h.live(handle);
      await act?.(rolloutId);
      await Promise.all([projector.catchUp(), projector.catchUp()]);
      const result = await handle.result();
      services.push(h.input().service);
      await Promise.all([projector.catchUp(), projector.catchUp()]);
      return result;
    };
    const service = `proj-${Date.now()}`;
    expect((await run({ service, version: 'v2' })).status).toBe('SUCCEEDED');
    h.regionSim.fleet.setFaults('pa1', { probeStatus: 500 });
    expect((await run({ service, version: 'v3' })).status).toBe('ROLLED_BACK');
    h.regionSim.fleet.setFaults('pa1', { probeStatus: 0 });
    const abortable = await h.start({
      service,
      version: 'v4',
      waves: [{ regions: ['pc1'], bakeSeconds: 0, requiresApproval: true }, ...WAVES.slice(1)],
    });
    await h.waitFor(abortable, (s) => s.phase === 'AWAITING_APPROVAL', 'approval');
    await abortable.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'not today' }] });
    expect((await abortable.result()).status).toBe('ABORTED');
    expect((await run({ service, version: 'v5' })).status).toBe('SUCCEEDED');
    await projector.catchUp();
    services.splice(0, services.length, service);
  });
  afterAll(() => h?.stop());

  it('says what each region serves, exactly as region-sim does', async () => {
    const versions = await readModels.regionVersions(services[0]);
    expect(versions.map((v) => [v.region, v.version])).toEqual(
      ['pa1', 'pb1', 'pc1'].map((r) => [r, h.regionSim.fleet.get(r)!.version]),
    );
    expect(versions.every((v) => v.version === 'v5')).toBe(true);
  });

  it('lists rollouts with their final statuses, newest first, filterable', async () => {
    const page = await readModels.rollouts({ service: services[0] }, 10);
    expect(page.items.map((r) => [r.version, r.status])).toEqual([
      ['v5', 'SUCCEEDED'],
      ['v4', 'ABORTED'],
      ['v3', 'ROLLED_BACK'],
      ['v2', 'SUCCEEDED'],
    ]);
    const rolledBack = await readModels.rollouts({ service: services[0], status: 'ROLLED_BACK' }, 10);
    expect(rolledBack.items.map((r) => r.version)).toEqual(['v3']);
    const firstTwo = await readModels.rollouts({ service: services[0] }, 2);
    expect(firstTwo.hasNextPage).toBe(true);
    const last = firstTwo.items[1];
    const rest = await readModels.rollouts({ service: services[0] }, 10, {
      requestedAt: last.requestedAt,
      id: last.id,
    });
    expect(rest.items.map((r) => r.version)).toEqual(['v3', 'v2']);
  });

  it('keeps the timeline of every push and rollback per region', async () => {
    const changes = await readModels.changes({
      region: 'pa1',
      service: services[0],
      from: new Date(0),
      to: new Date(Date.now() + 3_600_000),
    });
    expect(changes.map((c) => [c.kind, c.fromVersion, c.toVersion])).toEqual([
      ['PUSH', 'v1-1', 'v2'],
      ['PUSH', 'v2', 'v3'],
      ['ROLLBACK', 'v3', 'v2'],
      ['PUSH', 'v2', 'v5'],
    ]);
  });

  it('never double-counts: catching up again applies nothing', async () => {
    const before = await snapshot(h.pool);
    expect(await projector.catchUp()).toEqual({ applied: { rollouts: 0, region_versions: 0, region_changes: 0 } });
    expect(await snapshot(h.pool)).toEqual(before);
  });

  it('rebuilds to exactly the live tables, however often and with a catch-up racing it', async () => {
    const live = await snapshot(h.pool);
    await projector.rebuild();
    expect(await snapshot(h.pool)).toEqual(live);
    await Promise.all([projector.rebuild(), projector.catchUp()]);
    expect(await snapshot(h.pool)).toEqual(live);
  });
});
