import { ErrorCode, SluiceError } from '../errors';
import { parseServiceTopology } from '../service/service-topology';
import {
  INCIDENT_POLICY_ACTOR,
  decideOnIncident,
  rolloutsToResume,
  type BlamedSuspect,
  type IncidentFacts,
  type RunningRollout,
} from './incident-policy';

const suspect = (rolloutId: string, service: string, extra: Partial<BlamedSuspect> = {}): BlamedSuspect => ({
  rolloutId,
  service,
  region: 'eu-west',
  score: 0.2,
  eValue: 1,
  verdict: 'UNCLEAR',
  likelyCause: false,
  ...extra,
});
const running = (rolloutId: string, service: string, extra: Partial<RunningRollout> = {}): RunningRollout => ({
  rolloutId,
  service,
  status: 'ROLLING',
  regions: ['eu-west', 'us-east'],
  ...extra,
});

const bad = suspect('r-pay', 'pay', { score: 0.91, eValue: 3.1e67, verdict: 'LIKELY_CHANGE', likelyCause: true });
const shop = suspect('r-shop', 'shop', { score: 0.3 });
const cart = suspect('r-cart', 'cart', { score: 0.2 });
const RUNNING = [
  running('r-shop', 'shop'),
  running('r-pay', 'pay'),
  running('r-cart', 'cart'),
  running('r-far', 'far', { regions: ['ap-south'] }),
];

const given = (facts: Partial<IncidentFacts>): IncidentFacts => ({
  policy: 'halt-blamed',
  alert: { service: 'shop', region: 'eu-west' },
  affectedRegions: ['eu-west'],
  running: RUNNING,
  ...facts,
});

describe('onIncident: the decision', () => {
  it('halt-service (the default) halts the alert’s service and asks no blame', () => {
    const decision = decideOnIncident(given({ policy: 'halt-service' }));
    expect(decision).toMatchObject({ rule: 'HALT_SERVICE', verdict: null, topSuspects: [] });
    expect(decision.actions).toEqual([
      {
        action: 'HALT',
        service: 'shop',
        rolloutId: null,
        region: 'eu-west',
        why: expect.stringMatching(/halt-service/),
      },
    ]);
  });

  it('halt-blamed on LIKELY_CHANGE halts only the blamed rollout, with its score and e-value', () => {
    const decision = decideOnIncident(
      given({ blame: { verdict: 'LIKELY_CHANGE', summary: 'only eu-west degraded', suspects: [bad, shop, cart] } }),
    );
    expect(decision.rule).toBe('HALT_BLAMED');
    expect(decision.verdict).toBe('LIKELY_CHANGE');
    expect(decision.actions).toEqual([
      {
        action: 'HALT',
        service: 'pay',
        rolloutId: 'r-pay',
        region: 'eu-west',
        why: 'blamed: pay rollout r-pay (score 0.91, e-value 3.1e+67, LIKELY_CHANGE)',
      },
    ]);
    expect(decision.topSuspects.map((s) => s.rolloutId)).toEqual(['r-pay', 'r-shop', 'r-cart']);
    expect(decision.summary).toMatch(/^LIKELY_CHANGE: halting 1 blamed rollout\(s\): pay rollout r-pay \(score 0.91/);
  });

  it('halts each blamed rollout once, even when it is blamed in two regions', () => {
    const again = { ...bad, region: 'us-east', score: 0.6 };
    const other = suspect('r-cart', 'cart', { score: 0.55, verdict: 'LIKELY_CHANGE', likelyCause: true });
    const decision = decideOnIncident(
      given({ blame: { verdict: 'LIKELY_CHANGE', summary: '', suspects: [bad, again, other] } }),
    );
    expect(decision.actions.map((a) => [a.rolloutId, a.region])).toEqual([
      ['r-pay', 'eu-west'],
      ['r-cart', 'eu-west'],
    ]);
  });

  it('halt-blamed on LIKELY_EXTERNAL pauses the running rollouts in the alert’s regions, rolls none back', () => {
    const decision = decideOnIncident(
      given({
        blame: {
          verdict: 'LIKELY_EXTERNAL',
          summary: '3 of 3 regions without the change degraded too',
          suspects: [shop],
        },
        running: [...RUNNING.slice(0, 3), RUNNING[3], running('r-held', 'held', { status: 'PAUSED' })],
      }),
    );
    expect(decision.rule).toBe('PAUSE_EXTERNAL');
    expect(decision.actions.map((a) => [a.action, a.rolloutId])).toEqual([
      ['PAUSE', 'r-shop'],
      ['PAUSE', 'r-pay'],
      ['PAUSE', 'r-cart'],
    ]);
    expect(decision.actions.every((a) => a.action !== 'HALT')).toBe(true);
    expect(decision.summary).toBe(
      'LIKELY_EXTERNAL (3 of 3 regions without the change degraded too): pausing 3 running rollout(s) in eu-west, 1 already paused left alone',
    );
  });

  it('a pause decision holds what it pauses and what it found paused already; a halt holds nothing', () => {
    const paused = decideOnIncident(
      given({
        blame: { verdict: 'LIKELY_EXTERNAL', summary: 'every region degraded', suspects: [] },
        running: [RUNNING[0], running('r-held', 'held', { status: 'PAUSED' })],
      }),
    );
    expect(paused.actions.map((a) => a.rolloutId)).toEqual(['r-shop']);
    expect(paused.holds).toEqual([
      { rolloutId: 'r-shop', service: 'shop' },
      { rolloutId: 'r-held', service: 'held' },
    ]);
    expect(decideOnIncident(given({ policy: 'halt-service' })).holds).toEqual([]);
    expect(decideOnIncident(given({ blame: { error: 'Prometheus down' } })).holds).toEqual([]);
  });

  it('pauses in every region of the service when the alert names none', () => {
    const decision = decideOnIncident(
      given({
        alert: { service: 'shop', region: null },
        affectedRegions: ['ap-south'],
        blame: { verdict: 'LIKELY_EXTERNAL', summary: 'Sluice changed nothing', suspects: [] },
      }),
    );
    expect(decision.actions.map((a) => a.rolloutId)).toEqual(['r-far']);
  });

  it.each([
    [
      'UNCLEAR',
      { verdict: 'UNCLEAR' as const, summary: 'a mixed picture', suspects: [shop] },
      /^UNCLEAR \(a mixed picture\)/,
    ],
    [
      'LIKELY_CHANGE without a likely cause',
      { verdict: 'LIKELY_CHANGE' as const, summary: '', suspects: [{ ...shop, verdict: 'LIKELY_CHANGE' as const }] },
      /^LIKELY_CHANGE but no suspect is a likely cause/,
    ],
    [
      'Prometheus unreadable',
      { error: 'Prometheus: connect ECONNREFUSED' },
      /^no blame: Prometheus: connect ECONNREFUSED/,
    ],
  ])('halt-blamed falls back to halting the alert’s service on %s, and says so', (_, blame, why) => {
    const decision = decideOnIncident(given({ blame }));
    expect(decision.rule).toBe('FALLBACK_HALT_SERVICE');
    expect(decision.summary).toMatch(why);
    expect(decision.summary).toMatch(/falling back to halting shop's rollout \(safety first\)$/);
    expect(decision.actions).toEqual([
      { action: 'HALT', service: 'shop', rolloutId: null, region: 'eu-west', why: decision.summary },
    ]);
  });
});

describe('onIncident: resuming on resolve', () => {
  it('resumes only what the policy paused and is still paused by it', () => {
    const resumed = rolloutsToResume([
      { rolloutId: 'ours', service: 'a', status: 'PAUSED', lastPausedBy: INCIDENT_POLICY_ACTOR },
      { rolloutId: 'person-paused-after', service: 'b', status: 'PAUSED', lastPausedBy: 'alice' },
      { rolloutId: 'resumed-by-hand', service: 'c', status: 'ROLLING', lastPausedBy: INCIDENT_POLICY_ACTOR },
      { rolloutId: 'finished', service: 'd', status: 'ROLLED_BACK', lastPausedBy: INCIDENT_POLICY_ACTOR },
    ]);
    expect(resumed.map((r) => r.rolloutId)).toEqual(['ours']);
  });
});

describe('onIncident: the service field', () => {
  const topology = (extra: Record<string, unknown> = {}) => ({
    name: 'shop',
    regions: [{ name: 'eu-west', endpoint: 'http://127.0.0.1:4100/regions/eu-west' }],
    ...extra,
  });

  it('defaults to halt-service', () => {
    expect(parseServiceTopology(topology()).onIncident).toBe('halt-service');
    expect(parseServiceTopology(topology({ onIncident: 'halt-blamed' })).onIncident).toBe('halt-blamed');
  });

  it('refuses an unknown policy with BAD_USER_INPUT naming the field', () => {
    let err: unknown;
    try {
      parseServiceTopology(topology({ onIncident: 'halt-everything' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe(ErrorCode.BadUserInput);
    expect((err as SluiceError).details.fields).toEqual([
      { field: 'onIncident', message: 'must be one of halt-service, halt-blamed' },
    ]);
  });
});
