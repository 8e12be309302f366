import { PgConfigStore } from '../../libs/config-store/src';
import { configHash } from '../../libs/targets/src/config-hash';
import { haltSignal } from '../../workflows/rollout.messages';
import { readUntil } from '../support/eventually';
import {
  ALERT_HALT,
  ofType,
  SMALL_FLEET,
  SMALL_FLEET_WAVES,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../support/workflow-harness';

const REGIONS = SMALL_FLEET;
const WAVES = SMALL_FLEET_WAVES;

/**
 * A rollout whose regions each receive their own config (per-region overrides, a template):
 * each region is pushed its own document, history records each one's hash, the prechecks read
 * each one, and a rollback puts each region's own previous config back (time-skipping
 * Temporal, real activities, real PostgreSQL).
 */
describe('per-region configs', () => {
  let h: WorkflowHarness;
  let configs: PgConfigStore;
  let seed = 900;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
    configs = new PgConfigStore(h.pool);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => {
    h.reset(++seed);
    // every region starts on its own database, as a real fleet does
    for (const r of REGIONS) fleet().apply(r.name, `v0-${seed}`, { db: `db-${r.name}-old`, seed });
  });
  const fleet = () => h.regionSim.fleet;

  /** The base for c1, and a1, b1 and h1 on their own primary; all stored as the gateway stores them. */
  async function perRegionInput(extra: Record<string, unknown> = {}) {
    const base = { db: 'db-main', feature: true, ...extra };
    const own = Object.fromEntries(['a1', 'b1', 'h1'].map((r) => [r, { ...base, db: `db-${r}` }]));
    const regionConfigHashes: Record<string, string> = {};
    for (const [region, config] of Object.entries(own)) regionConfigHashes[region] = await configs.put(config);
    const input = h.input({ config: undefined, configHash: await configs.put(base), regionConfigHashes, waves: WAVES });
    return { input, base, own };
  }

  it('pushes each region its own config and records its hash; a halt puts back each region’s own', async () => {
    const { input, base, own } = await perRegionInput();
    const handle = await h.start(input);
    await h.skipToPhase(handle, 'BAKING', 2);
    expect(fleet().get('c1')!.config).toEqual(base);
    expect(fleet().get('a1')!.config).toEqual(own.a1);
    expect(fleet().get('b1')!.config).toEqual(own.b1);

    await handle.signal(haltSignal, ALERT_HALT);
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    for (const r of REGIONS) {
      expect(fleet().get(r.name)).toMatchObject({ version: `v0-${seed}`, config: { db: `db-${r.name}-old`, seed } });
    }

    const events = await h.events(input.rolloutId);
    expect(ofType(events, 'RolloutRequested')[0].data.regionConfigHashes).toEqual(input.regionConfigHashes);
    const pushed = Object.fromEntries(
      ofType(events, 'RegionConfigPushed').map((e) => [e.data.region, e.data.configHash]),
    );
    expect(pushed).toEqual({ c1: configHash(base), a1: configHash(own.a1), b1: configHash(own.b1) });
    const restored = ofType(events, 'RegionRolledBack').map((e) => [e.data.region, e.data.outcome]);
    expect(restored.sort()).toEqual([
      ['a1', 'RESTORED'],
      ['b1', 'RESTORED'],
      ['c1', 'RESTORED'],
    ]);
  });

  it('the restore finds a push to a region with its own config that landed although its activity failed', async () => {
    // a1 applies its push but answers too late, then refuses the retries: the push landed and
    // its activity failed. The restore must see a1 serving a1's own document, not the base.
    fleet().setFaults('a1', { slowPushMs: 6_000 });
    const { input } = await perRegionInput();
    const handle = await h.start(input);
    await readUntil(
      () => Promise.resolve(fleet().get('a1')!.version),
      (v) => v === 'v2',
      { what: 'a1 to apply v2', timeoutMs: 30_000, intervalMs: 20 },
    );
    fleet().setFaults('a1', { slowPushMs: 0, failNextPushes: 4 });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    expect(fleet().get('a1')).toMatchObject({ version: `v0-${seed}`, config: { db: 'db-a1-old', seed } });
    const found = ofType(await h.events(input.rolloutId), 'RegionConfigPushed').find((e) => e.data.region === 'a1');
    expect(found?.data).toMatchObject({ foundByRestore: true, configHash: input.regionConfigHashes!.a1 });
  });

  it('validates each region’s own config against the schema, naming the regions that break it', async () => {
    const { input } = await perRegionInput();
    // a1, b1 and h1's databases match; c1 keeps the base's db-main, which does not
    input.configSchema = { type: 'object', properties: { db: { type: 'string', pattern: '^db-[a-z]\\d$' } } };
    const result = await (await h.start(input)).result();
    expect(result.status).toBe('FAILED');
    const failed = ofType(await h.events(input.rolloutId), 'PrecheckFailed')[0];
    expect(failed.data).toMatchObject({ check: 'config-schema', code: 'CONFIG_INVALID' });
    expect(failed.data.reason).toBe('c1: /db must match pattern "^db-[a-z]\\d$"');
  });

  it('a rollout whose regions each already serve their own config is a no-op', async () => {
    const { input, base, own } = await perRegionInput();
    fleet().apply('c1', 'v2', base);
    for (const [region, config] of Object.entries(own)) fleet().apply(region, 'v2', config);
    const result = await (await h.start(input)).result();
    expect(result.status).toBe('FAILED');
    const failed = ofType(await h.events(input.rolloutId), 'PrecheckFailed')[0];
    expect(failed.data).toMatchObject({ check: 'no-op', code: 'ALREADY_AT_VERSION' });
  });
});
