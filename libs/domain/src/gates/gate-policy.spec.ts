import { gateOutcome, type GateRound } from './gate-policy';
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
