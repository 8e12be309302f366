import { gateOutcome, recordEvaluationsNow, type GateOutcome, type GateRound } from './gate-policy';
import type { GateEvaluation } from './gate-spec';

const pass = (gate: string, region: string): GateEvaluation => ({
  gate,
  kind: 'prometheus',
  region,
  verdict: 'PASS',
  detail: 'ok',
});
const fail = (gate: string, region: string): GateEvaluation => ({
  ...pass(gate, region),
  verdict: 'FAIL',
  detail: 'bad',
});
const noData = (gate: string, region: string, policy: 'fail' | 'pause' | 'pass'): GateEvaluation => ({
  ...pass(gate, region),
  verdict: 'NO_DATA',
  noData: policy,
  detail: 'no series',
});

const round = (results: GateEvaluation[], more: Partial<GateRound> = {}): GateRound => ({
  wave: 2,
  results,
  canaryOnly: false,
  pausedForNoData: [],
  ...more,
});

describe('gate outcome', () => {
  it('continues when there is nothing to judge', () => {
    expect(gateOutcome(round([], { canaryOnly: true }))).toEqual({ kind: 'CONTINUE' });
  });

  it('stops on the first failing gate, naming gate, region and detail', () => {
    expect(gateOutcome(round([pass('errors', 'a'), fail('errors', 'b'), fail('latency', 'a')]))).toEqual({
      kind: 'STOP',
      reason: 'gate errors failed in b: bad',
    });
  });

  it('stops on missing data when the policy is fail, even beside a pause', () => {
    expect(gateOutcome(round([noData('errors', 'a', 'pause'), noData('latency', 'b', 'fail')]))).toEqual({
      kind: 'STOP',
      reason: 'gate latency failed in b: no series',
    });
  });

  it('pauses for missing data once per gate, region and wave', () => {
    const results = [noData('errors', 'a', 'pause'), noData('errors', 'b', 'pause'), noData('errors', 'a', 'pause')];
    expect(gateOutcome(round(results))).toEqual({
      kind: 'PAUSE',
      pauses: [
        { key: '2/errors/a', reason: 'gate errors has no data in a (no series); resume or abort' },
        { key: '2/errors/b', reason: 'gate errors has no data in b (no series); resume or abort' },
      ],
    });
    expect(gateOutcome(round(results, { pausedForNoData: ['2/errors/a'] }))).toEqual({
      kind: 'PAUSE',
      pauses: [{ key: '2/errors/b', reason: 'gate errors has no data in b (no series); resume or abort' }],
    });
    expect(gateOutcome(round(results, { pausedForNoData: ['2/errors/a', '2/errors/b'] }))).toEqual({
      kind: 'CONTINUE',
    });
    expect(gateOutcome(round(results, { wave: 3, pausedForNoData: ['2/errors/a', '2/errors/b'] })).kind).toBe('PAUSE');
  });

  it('bakes on when missing data is allowed to pass', () => {
    expect(gateOutcome(round([noData('errors', 'a', 'pass')]))).toEqual({ kind: 'CONTINUE' });
  });

  it('ends the bake when only canary judges gate it and every one passed', () => {
    const canary = (verdict: GateEvaluation['verdict']): GateEvaluation => ({
      gate: 'errors',
      kind: 'canary',
      region: 'canary-1',
      verdict,
      detail: verdict,
    });
    expect(gateOutcome(round([canary('PASS')], { canaryOnly: true }))).toEqual({ kind: 'END_BAKE' });
    expect(gateOutcome(round([canary('PASS'), canary('CONTINUE')], { canaryOnly: true }))).toEqual({
      kind: 'CONTINUE',
    });
    expect(gateOutcome(round([canary('PASS')], { canaryOnly: false }))).toEqual({ kind: 'CONTINUE' });
  });
});

describe('recordEvaluationsNow: which bake ticks are recorded at once, which in batches', () => {
  const routine = { outcome: { kind: 'CONTINUE' } as const, changed: false };

  it('records at once a tick that changes a verdict or the course of the bake', () => {
    expect(recordEvaluationsNow({ ...routine, changed: true, ticksDeferred: 0, msSinceRecorded: 0 })).toBe(true);
    const outcomes: GateOutcome[] = [
      { kind: 'STOP', reason: 'x' },
      { kind: 'END_BAKE' },
      { kind: 'PAUSE', pauses: [] },
    ];
    for (const outcome of outcomes) {
      expect(recordEvaluationsNow({ outcome, changed: false, ticksDeferred: 0, msSinceRecorded: 0 })).toBe(true);
    }
  });

  it('batches routine ticks: every tenth tick at 30 s, every sixtieth at 5 s, at least every second tick', () => {
    const recordedAt = (intervalMs: number) => {
      const recorded: number[] = [];
      let deferred = 0;
      let since = 0;
      for (let tick = 1; tick <= 120; tick++) {
        since += intervalMs;
        if (recordEvaluationsNow({ ...routine, ticksDeferred: deferred, msSinceRecorded: since })) {
          recorded.push(tick);
          deferred = 0;
          since = 0;
        } else deferred += 1;
      }
      return recorded;
    };
    expect(recordedAt(30_000)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    expect(recordedAt(5_000)).toEqual([60, 120]);
    expect(recordedAt(600_000)).toEqual(Array.from({ length: 60 }, (_, i) => 2 * (i + 1)));
  });
});
