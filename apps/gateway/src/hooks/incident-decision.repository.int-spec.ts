import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { decideOnIncident, type IncidentDecision, type RolloutStatus } from '../../../../libs/domain/src';
import { testServices } from '../../../../test/support/test-env';
import { HaltRequestRepository, type HaltRequestRow } from './halt-request.repository';
import { IncidentDecisionRepository, type ActionResult } from './incident-decision.repository';

describe('incident decisions in PostgreSQL', () => {
  let pool: Pool;
  let requests: HaltRequestRepository;
  let decisions: IncidentDecisionRepository;
  beforeAll(() => {
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    requests = new HaltRequestRepository(pool);
    decisions = new IncidentDecisionRepository(pool);
  });
  afterAll(() => pool.end());

  const startsAt = new Date('2026-12-01T10:00:00Z');
  /** LIKELY_EXTERNAL in eu-west, with one rollout running there. */
  const pauseOf = (rolloutId: string, status: RolloutStatus = 'ROLLING'): IncidentDecision =>
    decideOnIncident({
      policy: 'halt-blamed',
      alert: { service: 'shop', region: 'eu-west' },
      affectedRegions: ['eu-west'],
      blame: { verdict: 'LIKELY_EXTERNAL', summary: 'every region degraded', suspects: [] },
      running: [{ rolloutId, service: 'shop', status, regions: ['eu-west'] }],
    });
  const pause = pauseOf('r-1');
  const paused: ActionResult[] = pause.actions.map((a) => ({
    ...a,
    outcome: 'PAUSED',
    reachedRolloutId: a.rolloutId,
    detail: null,
  }));

  /** An alert as the webhook stores it, read back as delivery claims it. */
  async function storedAlert(): Promise<HaltRequestRow> {
    const fingerprint = randomUUID();
    const service = `shop-${fingerprint.slice(0, 8)}`;
    await requests.enqueue([
      {
        source: 'alertmanager',
        dedupeKey: fingerprint,
        startsAt,
        service,
        region: 'eu-west',
        alertRegion: 'eu-west',
        reason: 'HighErrorRate',
        alert: null,
        requestedBy: 'alertmanager',
      },
    ]);
    const { rows } = await pool.query<HaltRequestRow>('SELECT * FROM halt_requests WHERE fingerprint = $1', [
      fingerprint,
    ]);
    return rows[0];
  }
  const resolve = (row: HaltRequestRow) =>
    decisions.resolve([{ fingerprint: row.fingerprint, service: row.service, startsAt: row.starts_at }]);
  const due = async (id: string) => (await decisions.toResume(1_000)).some((d) => d.id === id);

  it('stores a decision once per queueing: a redelivery reads the first one back', async () => {
    const row = await storedAlert();
    expect(await decisions.forRequest(row)).toBeUndefined();
    const first = await decisions.store(row, pause);
    const again = await decisions.store(row, { ...pause, summary: 'a second opinion' });
    expect(again.id).toBe(first.id);
    expect((await decisions.forRequest(row))!.decision).toEqual(pause);
    expect((await decisions.forAlert(row.service, startsAt)).map((d) => d.id)).toEqual([first.id]);
  });

  it('resumes after the alert resolves, and only once the pauses are done', async () => {
    const row = await storedAlert();
    const stored = await decisions.store(row, pause);
    expect(await resolve(row)).toBe(1);
    expect(await due(stored.id)).toBe(false); // not acted on yet
    await decisions.acted(stored.id, paused);
    expect(await due(stored.id)).toBe(true);
    await decisions.resumed(stored.id, []);
    expect(await due(stored.id)).toBe(false);
  });

  it('keeps a resolve that lands before the decision is stored', async () => {
    const row = await storedAlert();
    expect(await resolve(row)).toBe(0);
    const stored = await decisions.store(row, pause);
    expect(stored.resolvedAt).not.toBeNull();
    await decisions.acted(stored.id, paused);
    expect(await due(stored.id)).toBe(true);
  });

  it('holds a rollout that another alert, still firing, paused too', async () => {
    const [a, b] = [await storedAlert(), await storedAlert()];
    const [da, db] = [await decisions.store(a, pause), await decisions.store(b, pause)];
    await decisions.acted(da.id, paused);
    await decisions.acted(db.id, paused);
    await resolve(a);
    expect(await decisions.stillHeld(da.id)).toContain('r-1');
    await resolve(b);
    // other specs' decisions may hold r-1 too: only these two matter here
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM incident_decisions WHERE id = ANY($1) AND resolved_at IS NULL`,
      [[da.id, db.id]],
    );
    expect(rows[0].n).toBe(0);
  });

  it('holds a rollout that another alert, still firing, found paused already', async () => {
    const rolloutId = `r-${randomUUID()}`;
    const [a, b] = [await storedAlert(), await storedAlert()];
    const da = await decisions.store(a, pauseOf(rolloutId));
    await decisions.acted(da.id, [
      { ...da.decision.actions[0], outcome: 'PAUSED', reachedRolloutId: rolloutId, detail: null },
    ]);
    // b is decided while a's pause stands: the rollout is PAUSED, so b has nothing to pause
    const db = await decisions.store(b, pauseOf(rolloutId, 'PAUSED'));
    await decisions.acted(db.id, []);
    await resolve(a);
    expect(await decisions.stillHeld(da.id)).toContain(rolloutId);
  });

  it('holds a rollout whose pause another alert, still firing, saw refused', async () => {
    const rolloutId = `r-${randomUUID()}`;
    const [a, b] = [await storedAlert(), await storedAlert()];
    const [da, db] = [await decisions.store(a, pauseOf(rolloutId)), await decisions.store(b, pauseOf(rolloutId))];
    await decisions.acted(da.id, [
      { ...da.decision.actions[0], outcome: 'PAUSED', reachedRolloutId: rolloutId, detail: null },
    ]);
    await decisions.acted(db.id, [
      { ...db.decision.actions[0], outcome: 'LEFT_ALONE', reachedRolloutId: rolloutId, detail: 'already paused' },
    ]);
    await resolve(a);
    expect(await decisions.stillHeld(da.id)).toContain(rolloutId);
  });

  it('holds a rollout that another alert, still firing, has decided to pause and not yet paused', async () => {
    const rolloutId = `r-${randomUUID()}`;
    const [a, b] = [await storedAlert(), await storedAlert()];
    const da = await decisions.store(a, pauseOf(rolloutId));
    await decisions.acted(da.id, [
      { ...da.decision.actions[0], outcome: 'PAUSED', reachedRolloutId: rolloutId, detail: null },
    ]);
    await decisions.store(b, pauseOf(rolloutId));
    await resolve(a);
    expect(await decisions.stillHeld(da.id)).toContain(rolloutId);
  });
});
