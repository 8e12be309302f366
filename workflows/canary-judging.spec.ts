import { canaryGateSchema, type CanaryGate } from '../libs/domain/src/gates/gate-spec';
import { gateOutcome } from '../libs/domain/src/gates/gate-policy';
import { judgeCanaryInterval, startCanaryJudge, type CanaryJudgeState } from '../libs/judge/src/canary-interval';
import { DEFAULT_DEADLINE_SHARE, DEFAULT_JUDGE } from '../libs/judge/src/sequential-judge';
import { concludeJudges } from './canary-judging';
import type { RolloutContext } from './rollout-context';

const GATE = canaryGateSchema.parse({ kind: 'canary', name: 'errors', noData: 'pause' }) as CanaryGate;
const WAVE = { index: 1, regions: ['c1'], bakeSeconds: 600, requiresApproval: false };
const TARGETS = [{ region: 'c1', endpoint: 'http://127.0.0.1:1' }];
// a day's window at 0.5% errors, then ten minutes at 0.7%: the e-process stays below its threshold
const WINDOW = { canaryRequests: 1_440_000, canaryEvents: 7_200, baselineRequests: 14_400_000, baselineEvents: 72_000 };
const MINUTE = { canaryRequests: 1_000, canaryEvents: 7, baselineRequests: 10_000, baselineEvents: 50 };

/** Ten minutes of a wave's judge, read from cumulative counters as the workflow reads them. */
function judged(options: typeof DEFAULT_JUDGE): CanaryJudgeState {
  let state = startCanaryJudge(options, WINDOW);
  const total = { canaryRequests: 0, canaryEvents: 0, baselineRequests: 0, baselineEvents: 0 };
  for (let m = 0; m <= 10; m++) {
    const interval = judgeCanaryInterval(state, { ...total });
    expect(interval.verdict === 'FAIL').toBe(false);
    state = interval.state;
    total.canaryRequests += MINUTE.canaryRequests;
    total.canaryEvents += MINUTE.canaryEvents;
    total.baselineRequests += MINUTE.baselineRequests;
    total.baselineEvents += MINUTE.baselineEvents;
  }
  return state;
}

const context = (judge: CanaryJudgeState) =>
  ({ state: { canaryJudges: { [`${WAVE.index}/${GATE.name}`]: judge } } }) as unknown as RolloutContext;

describe("the bake's deadline in the workflow", () => {
  const options = { ...DEFAULT_JUDGE, maxDurationSeconds: 3_600 };

  it('records a FAIL of the deadline test with its p-value, and it stops the rollout', () => {
    const ctx = context(judged({ ...options, mixture: 'focused', deadlineShare: DEFAULT_DEADLINE_SHARE }));
    const results = concludeJudges(ctx, [GATE], WAVE, TARGETS);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ gate: 'errors', region: 'c1', verdict: 'FAIL' });
    expect(results[0].detail).toMatch(/^at the deadline: FAIL by the deadline test \(p=/);
    expect(results[0].evidence?.deadlinePValue).toBeLessThanOrEqual(options.alpha * DEFAULT_DEADLINE_SHARE);
    const outcome = gateOutcome({ wave: WAVE.index, results, canaryOnly: false, pausedForNoData: [] });
    expect(outcome).toMatchObject({ kind: 'STOP', reason: expect.stringMatching(/gate errors failed in c1/) });
  });

  it('leaves a judge started without the deadline test undecided: INCONCLUSIVE, the gate’s noData policy', () => {
    const results = concludeJudges(context(judged(options)), [GATE], WAVE, TARGETS);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ verdict: 'NO_DATA', noData: 'pause' });
    expect(results[0].evidence).toMatchObject({ reason: 'UNDECIDED_AT_DEADLINE' });
    expect(results[0].evidence).not.toHaveProperty('deadlinePValue');
  });
});
