import fixture from './legacy-judge.fixture.json';
import type { IntervalCounts } from './sequential-count-test';
import { SequentialJudge, type Decision, type LegacyJudgeSnapshot } from './sequential-judge';

interface RecordedCase {
  snapshot: LegacyJudgeSnapshot;
  intervals: IntervalCounts[];
  decisions: Decision[];
  final: LegacyJudgeSnapshot;
}

/**
 * Snapshots that workflows in flight carry (no version marker), with the decisions the judge
 * made on them before the pre-change baseline existed (recorded from commit ffaea0a): healthy
 * then 5× after a PASS (PASS latched), 2×, and 1.3× gated by minRequests.
 */
describe('legacy judge snapshots', () => {
  it.each((fixture as unknown as RecordedCase[]).map((c, i) => [i, c] as const))(
    'case %i continues with exactly the old math and verdicts',
    (_, recorded) => {
      let judge = SequentialJudge.fromSnapshot(JSON.parse(JSON.stringify(recorded.snapshot)));
      recorded.intervals.forEach((counts, i) => {
        judge = SequentialJudge.fromSnapshot(JSON.parse(JSON.stringify(judge.snapshot())));
        expect(judge.observe(counts)).toEqual(recorded.decisions[i]);
      });
      expect(judge.snapshot()).toEqual(recorded.final);
    },
  );
});
