import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { decideOnIncident, parseServiceTopology, type RolloutStatus } from '../../../../libs/domain/src';
import { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import { testServices } from '../../../../test/support/test-env';
import { HaltDelivery, DEFAULT_DELIVERY } from './halt-delivery';
import { HaltRequestRepository, type HaltRequestRow } from './halt-request.repository';
import { IncidentDecisionRepository } from './incident-decision.repository';
import { IncidentResponder } from './incident-response';

const blameless = {
  incident: () => Promise.reject(new Error('halt-service asks no blame')),
};

/** The policy at delivery, against real PostgreSQL and Temporal (the alerts' services run no rollout). */
describe('onIncident at delivery', () => {
  let connection: Connection;
  let pool: Pool;
  let catalog: PgServiceCatalog;
  let requests: HaltRequestRepository;
  let decisions: IncidentDecisionRepository;
  let responder: IncidentResponder;
  let delivery: HaltDelivery;

  beforeAll(async () => {
    connection = await Connection.connect({ address: testServices().temporalAddress });
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 4 });
    catalog = new PgServiceCatalog(pool);
    requests = new HaltRequestRepository(pool);
    decisions = new IncidentDecisionRepository(pool);
    const temporal = new Client({ connection });
    responder = new IncidentResponder(pool, catalog, blameless, decisions, temporal, 5_000, 1_000);
    delivery = new HaltDelivery(requests, temporal, new Registry(), DEFAULT_DELIVERY, responder);
  });
  afterAll(async () => {
    await delivery.drain();
    await pool.end();
    await connection.close();
  });

  /** An alert on a new service with the given policy, queued in the outbox as the webhook does. */
  async function alertOn(onIncident: 'halt-service' | 'halt-blamed') {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    await catalog.register(
      parseServiceTopology({
        name: service,
        regions: [{ name: 'eu-west', endpoint: 'http://127.0.0.1:4100/regions/eu-west' }],
        onIncident,
      }),
    );
    const startsAt = new Date('2026-12-03T10:00:00Z');
    const fingerprint = randomUUID();
    const labels = { alertname: 'HighErrorRate', service, region: 'eu-west' };
    await requests.enqueue([
      {
        source: 'alertmanager',
        dedupeKey: fingerprint,
        startsAt,
        service,
        region: 'eu-west',
        alertRegion: 'eu-west',
        reason: 'HighErrorRate',
        alert: {
          status: 'firing',
          labels,
          annotations: {},
          startsAt: startsAt.toISOString(),
          generatorURL: '',
          fingerprint,
        },
        requestedBy: 'alertmanager',
      },
    ]);
    return { service, startsAt };
  }

  async function deliverAll(): Promise<void> {
    await delivery.deliverPending();
    await delivery.drain();
  }

  it('claims and delivers halts without waiting on the resumes of resolved alerts', async () => {
    // a resume pass that takes 6 s (a workflow answering at its deadline) must not hold a halt up
    const temporal = new Client({ connection });
    const slowResumes = new IncidentResponder(pool, catalog, blameless, decisions, temporal, 5_000, 1_000);
    jest
      .spyOn(slowResumes, 'resumeResolved')
      .mockImplementation(() => new Promise<number>((resolve) => setTimeout(() => resolve(0), 6_000)));
    const own = new HaltDelivery(requests, temporal, new Registry(), DEFAULT_DELIVERY, slowResumes);
    const { service } = await alertOn('halt-service');
    const pass = own.deliverPending().then(() => 'returned');
    const waited = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3_000));
    expect(await Promise.race([pass, waited])).toBe('returned');
    await own.drain();
    const { rows } = await pool.query<{ outcome: string }>('SELECT outcome FROM halt_requests WHERE service = $1', [
      service,
    ]);
    expect(rows).toEqual([{ outcome: 'NO_RUNNING_ROLLOUT' }]);
  });

  it('records halt-service’s decision too: the halt of the alert’s service and what came of it', async () => {
    const { service, startsAt } = await alertOn('halt-service');
    await deliverAll();
    const { rows } = await pool.query<{ outcome: string }>('SELECT outcome FROM halt_requests WHERE service = $1', [
      service,
    ]);
    expect(rows).toEqual([{ outcome: 'NO_RUNNING_ROLLOUT' }]);
    const recorded = await decisions.forAlert(service, startsAt);
    expect(recorded).toHaveLength(1);
    expect(recorded[0].decision).toMatchObject({ policy: 'halt-service', rule: 'HALT_SERVICE', verdict: null });
    expect(recorded[0].results).toEqual([
      {
        action: 'HALT',
        service,
        rolloutId: null,
        region: 'eu-west',
        why: `onIncident is halt-service: halt ${service}'s rollout`,
        outcome: 'NO_RUNNING_ROLLOUT',
        reachedRolloutId: null,
        detail: null,
      },
    ]);
    expect(recorded[0].actedAt).not.toBeNull();
  });

  it('keeps the lease of a delivery that outlasts it: the row is not claimed again while blame runs', async () => {
    // blame that takes 3 s, under a 1 s lease: the delivery renews its claim while it works
    const slowBlame = {
      incident: () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow')), 3_000)),
    };
    const temporal = new Client({ connection });
    const slow = new IncidentResponder(pool, catalog, slowBlame, decisions, temporal, 5_000, 10_000);
    const leased = new HaltDelivery(requests, temporal, new Registry(), { ...DEFAULT_DELIVERY, leaseSeconds: 1 }, slow);
    const { service } = await alertOn('halt-blamed');
    for (let pass = 0; pass < 5; pass++) {
      await leased.deliverPending();
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    await leased.drain();
    const { rows } = await pool.query<{ attempts: number; outcome: string }>(
      'SELECT attempts, outcome FROM halt_requests WHERE service = $1',
      [service],
    );
    expect(rows).toEqual([{ attempts: 1, outcome: 'NO_RUNNING_ROLLOUT' }]);
  });

  it('records halt-blamed’s fallback once, and no second decision beside it', async () => {
    const { service, startsAt } = await alertOn('halt-blamed');
    await deliverAll();
    const recorded = await decisions.forAlert(service, startsAt);
    expect(recorded.map((d) => d.decision.rule)).toEqual(['FALLBACK_HALT_SERVICE']);
    expect(recorded[0].results?.map((r) => r.outcome)).toEqual(['NO_RUNNING_ROLLOUT']);
  });

  it('resolving one alert leaves alone what another firing alert holds; the last to resolve takes it up', async () => {
    const rollout = { rolloutId: `r-${randomUUID()}`, service: `paused-${randomUUID().slice(0, 8)}` };
    const external = (status: RolloutStatus) =>
      decideOnIncident({
        policy: 'halt-blamed',
        alert: { service: 'shop', region: 'eu-west' },
        affectedRegions: ['eu-west'],
        blame: { verdict: 'LIKELY_EXTERNAL', summary: 'every region degraded', suspects: [] },
        running: [{ ...rollout, status, regions: ['eu-west'] }],
      });
    const rowOf = async (service: string) =>
      (await pool.query<HaltRequestRow>('SELECT * FROM halt_requests WHERE service = $1', [service])).rows[0];
    const [a, b] = [
      await rowOf((await alertOn('halt-blamed')).service),
      await rowOf((await alertOn('halt-blamed')).service),
    ];
    // a paused the rollout; b, decided while a's pause stood, found it paused
    const da = await decisions.store(a, external('ROLLING'));
    await decisions.acted(da.id, [
      { ...da.decision.actions[0], outcome: 'PAUSED', reachedRolloutId: rollout.rolloutId, detail: null },
    ]);
    const db = await decisions.store(b, external('PAUSED'));
    await decisions.acted(db.id, []);
    const resolve = (row: HaltRequestRow) =>
      decisions.resolve([{ fingerprint: row.fingerprint, service: row.service, startsAt: row.starts_at }]);
    const resumed = async (row: HaltRequestRow) =>
      (await decisions.forRequest(row))!.resumed?.map((r) => [r.rolloutId, r.outcome, r.detail]);

    await resolve(a);
    await responder.resumeResolved();
    expect(await resumed(a)).toEqual([
      [rollout.rolloutId, 'LEFT_ALONE', 'another alert that holds it paused still fires'],
    ]);
    expect(await resumed(b)).toBeUndefined();

    await resolve(b);
    await responder.resumeResolved();
    // the rollout's workflow is gone here; a running one still paused by the policy would be RESUMED
    expect(await resumed(b)).toEqual([[rollout.rolloutId, 'NOT_PAUSED', 'no longer running']]);
  });

  it('resumes the other resolved decisions when one rollout cannot be reached, and tries that one again', async () => {
    const pausedBy = async (rolloutId: string) => {
      const row = (
        await pool.query<HaltRequestRow>('SELECT * FROM halt_requests WHERE service = $1', [
          (await alertOn('halt-blamed')).service,
        ])
      ).rows[0];
      const stored = await decisions.store(
        row,
        decideOnIncident({
          policy: 'halt-blamed',
          alert: { service: 'shop', region: 'eu-west' },
          affectedRegions: ['eu-west'],
          blame: { verdict: 'LIKELY_EXTERNAL', summary: 'every region degraded', suspects: [] },
          running: [{ rolloutId, service: `s-${randomUUID().slice(0, 8)}`, status: 'ROLLING', regions: ['eu-west'] }],
        }),
      );
      await decisions.acted(stored.id, [
        { ...stored.decision.actions[0], outcome: 'PAUSED', reachedRolloutId: rolloutId, detail: null },
      ]);
      await decisions.resolve([{ fingerprint: row.fingerprint, service: row.service, startsAt: row.starts_at }]);
      return row;
    };
    const [stuck, fine] = [`r-stuck-${randomUUID()}`, `r-fine-${randomUUID()}`];
    const stuckRow = await pausedBy(stuck);
    const fineRow = await pausedBy(fine);
    // the stuck rollout's workflow does not answer (its worker is gone): the call fails
    const liveOf = jest.spyOn(responder as unknown as { liveOf: (s: string, r: string) => Promise<unknown> }, 'liveOf');
    liveOf.mockImplementation(async (_service, rolloutId) => {
      if (rolloutId === stuck) throw new Error('deadline exceeded');
      return undefined;
    });
    try {
      await expect(responder.resumeResolved()).rejects.toThrow('deadline exceeded');
      expect((await decisions.forRequest(fineRow))!.resumed?.map((r) => [r.rolloutId, r.outcome])).toEqual([
        [fine, 'NOT_PAUSED'],
      ]);
      expect((await decisions.forRequest(stuckRow))!.resumed ?? null).toBeNull();
    } finally {
      liveOf.mockRestore();
    }
    await responder.resumeResolved();
    expect((await decisions.forRequest(stuckRow))!.resumed?.map((r) => [r.rolloutId, r.outcome])).toEqual([
      [stuck, 'NOT_PAUSED'],
    ]);
  });
});
