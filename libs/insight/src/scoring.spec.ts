import { poisson, seededRandom } from '../../judge/src/simulation';
import {
  BLAME_THRESHOLD,
  isDegraded,
  DEFAULT_SCORE,
  riseRuledOut,
  scoreSuspect,
  shiftTest,
  strength,
  type RegionShift,
  type WindowCounts,
} from './scoring';
import { blameVerdict, changeVerdict, peerDegraded } from './verdicts';
import { scoredFocus } from './blame-doubts';

const w = (requests: number, events: number): WindowCounts => ({ requests, events });
const HEALTHY = w(2_000, 10);
const BROKEN = w(2_000, 600);

function region(name: string, changed: boolean, after: WindowCounts = HEALTHY, latencyAfter = HEALTHY): RegionShift {
  return {
    region: name,
    changed,
    errors: shiftTest(HEALTHY, after),
    latency: shiftTest(HEALTHY, latencyAfter),
  };
}

describe('riseRuledOut: evidence that a window did not rise like a fault', () => {
  it('is strong for a clean window with the traffic to show a threefold rise', () => {
    // given 20,000 requests a side at 1% errors, when nothing changed, then ×3 is ruled out
    expect(riseRuledOut(shiftTest(w(20_000, 200), w(20_000, 205)))).toBeGreaterThan(1e6);
  });

  it('is weak for a window that did rise that much', () => {
    expect(riseRuledOut(shiftTest(w(20_000, 200), w(20_000, 800)))).toBeLessThan(1);
  });

  it('says nothing without enough data, however clean the window looks', () => {
    expect(riseRuledOut(shiftTest(w(50, 1), w(50, 0)))).toBe(1);
    // and little from a window too quiet to have shown a rise: 3 errors expected before, 1 after
    expect(riseRuledOut(shiftTest(w(300, 3), w(300, 1)))).toBeLessThan(10);
  });
});

describe("scoredFocus: what the alert's own region is scored on", () => {
  const WEAK = w(2_000, 20); // 1% after 0.5%: an e-value far under the bar
  const alpha = DEFAULT_SCORE.alpha;

  it('is the strongest risen region when at least two other regions the change reached rose', () => {
    // given a focus whose rise is diluted, when two other changed regions rose, then the stronger stands for it
    const focus = region('a', true, WEAK);
    const scored = scoredFocus(focus, [focus, region('b', true, BROKEN), region('c', true, w(2_000, 60))], alpha);
    expect(scored.region).toBe('b');
    expect(strength(scored.errors, alpha)).toBe(1);
  });

  it('is the focus itself when only one other region rose, or only unchanged ones did', () => {
    const focus = region('a', true, WEAK);
    expect(scoredFocus(focus, [focus, region('b', true, BROKEN), region('c', true)], alpha)).toBe(focus);
    expect(scoredFocus(focus, [focus, region('b', false, BROKEN), region('c', false, BROKEN)], alpha)).toBe(focus);
  });

  it('keeps a focus stronger than the regions that rose', () => {
    const focus = region('a', true, BROKEN);
    const slight = w(2_000, 60);
    expect(scoredFocus(focus, [focus, region('b', true, slight), region('c', true, slight)], alpha)).toBe(focus);
  });
});

describe('shiftTest: the count test of [S6], after the change against before it', () => {
  it('finds a jump from 0.5% to 30% errors overwhelming and reports the numbers', () => {
    const t = shiftTest(HEALTHY, BROKEN);
    expect(t).toMatchObject({ beforeRate: 0.005, afterRate: 0.3, degraded: true, enoughData: true });
    expect(t.ratio).toBeCloseTo(60);
    expect(t.eValue).toBeGreaterThan(1e6);
  });

  it('does not call an unchanged rate, an improvement or a rise below the tolerance degraded', () => {
    expect(shiftTest(HEALTHY, HEALTHY).degraded).toBe(false);
    expect(shiftTest(HEALTHY, HEALTHY).eValue).toBeLessThan(1);
    expect(shiftTest(BROKEN, HEALTHY).degraded).toBe(false);
    // 1.2× more errors on a million requests: real, but within the 1.5× tolerance
    expect(shiftTest(w(1_000_000, 5_000), w(1_000_000, 6_000)).degraded).toBe(false);
    expect(shiftTest(w(1_000_000, 5_000), w(1_000_000, 9_000)).degraded).toBe(true);
  });

  it('says nothing from too few requests', () => {
    const t = shiftTest(w(50, 0), w(50, 40));
    expect(t).toMatchObject({ enoughData: false, eValue: 1, degraded: false });
    expect(strength(t, 0.01)).toBe(0);
  });

  it('keeps false alarms below alpha on healthy traffic (400 seeded trials)', () => {
    const random = seededRandom(7);
    let alarms = 0;
    for (let i = 0; i < 400; i++) {
      const before = w(1_500, poisson(1_500 * 0.01, random));
      const after = w(1_500, poisson(1_500 * 0.01, random));
      if (shiftTest(before, after).degraded) alarms++;
    }
    expect(alarms / 400).toBeLessThanOrEqual(0.01);
  });

  it('catches a 3× regression from about 100 errors before the change nearly always (200 seeded trials)', () => {
    const random = seededRandom(11);
    let caught = 0;
    for (let i = 0; i < 200; i++) {
      if (shiftTest(w(10_000, poisson(100, random)), w(10_000, poisson(300, random))).degraded) caught++;
    }
    expect(caught / 200).toBeGreaterThan(0.9);
  });
});

describe("blameVerdict: each region around its own push, the controls, and the region's other services", () => {
  const peer = (name: string, after: WindowCounts = HEALTHY) => region(name, false, after);
  const SLIGHT = w(2_000, 40); // 2% after 0.5%: a peer rise below the change's bar, above the peers'

  it('is LIKELY_EXTERNAL when two other services in the region rose with it, whatever the rollout did', () => {
    const v = blameVerdict(
      [region('a', true, BROKEN), region('b', false), region('c', false)],
      [peer('x/a', BROKEN), peer('y/a', SLIGHT), peer('z/a')],
    );
    expect(v).toEqual({
      verdict: 'LIKELY_EXTERNAL',
      summary: '2 of 3 other services in the region degraded at the same time (x/a, y/a)',
    });
  });

  it('is UNCLEAR when one other service in the region rose too', () => {
    const v = blameVerdict(
      [region('a', true, BROKEN), region('b', false)],
      [peer('x/a', BROKEN), peer('y/a'), peer('z/a')],
    );
    expect(v.verdict).toBe('UNCLEAR');
    expect(v.summary).toMatch(/but so did another service in the region \(x\/a\)/);
  });

  it('lets one other service rising pass when four changed regions rose after their own push, not three', () => {
    // given one peer of three risen, when the rollout raised four regions, then that outweighs it
    const peers = [peer('x/a', BROKEN), peer('y/a'), peer('z/a')];
    const raised = ['a', 'b', 'c', 'd'].map((name) => region(name, true, BROKEN));
    const four = blameVerdict([...raised, region('e', false)], peers);
    expect(four.verdict).toBe('LIKELY_CHANGE');
    expect(four.summary).toMatch(/1 of 3 other services in the region degraded/);
    // another service's change does not outweigh it: the alert's series is not its own
    expect(blameVerdict([...raised, region('e', false)], peers, false).verdict).toBe('UNCLEAR');
    // when it raised three, the lone peer still makes it UNCLEAR
    expect(blameVerdict([...raised.slice(0, 3), region('e', false)], peers).verdict).toBe('UNCLEAR');
    // and two peers risen stay a shared cause however many regions rose
    const two = blameVerdict([...raised, region('e', false)], [peer('x/a', BROKEN), peer('y/a', BROKEN), peer('z/a')]);
    expect(two.verdict).toBe('LIKELY_EXTERNAL');
  });

  it("lets one other service rising less surely than a change must (under 1/α) pass, for a change to the alert's service", () => {
    // given one peer of three risen above the peers' bar but under a change's, when the rollout
    // raised one region, then the peer is a coincidence for the alert's own service
    const regions = [region('a', true, BROKEN), region('b', false)];
    const peers = [peer('x/a', SLIGHT), peer('y/a'), peer('z/a')];
    expect(peerDegraded(peers[0]) && !isDegraded(peers[0])).toBe(true);
    const v = blameVerdict(regions, peers);
    expect(v.verdict).toBe('LIKELY_CHANGE');
    expect(v.summary).toMatch(/1 of 3 other services in the region degraded/);
    // another service's change does not outweigh it
    expect(blameVerdict(regions, peers, false).verdict).toBe('UNCLEAR');
  });

  it("is LIKELY_CHANGE when every region has the change, so long as the region's other services stayed healthy", () => {
    const everywhere = [region('a', true, BROKEN), region('b', true, BROKEN)];
    expect(blameVerdict(everywhere, [peer('x/a'), peer('y/a')]).verdict).toBe('LIKELY_CHANGE');
    // nothing to compare with at all: no verdict
    expect(blameVerdict(everywhere, []).verdict).toBe('UNCLEAR');
    expect(blameVerdict(everywhere, [peer('x/a')]).verdict).toBe('UNCLEAR');
  });

  it('forgives one control region in four rising by chance, not two', () => {
    const controls = (n: number) => ['b', 'c', 'd', 'e'].map((r, i) => region(r, false, i < n ? BROKEN : HEALTHY));
    expect(blameVerdict([region('a', true, BROKEN), ...controls(1)], null).verdict).toBe('LIKELY_CHANGE');
    expect(blameVerdict([region('a', true, BROKEN), ...controls(2)], null).verdict).toBe('LIKELY_EXTERNAL');
  });

  it('takes a control region with too little traffic for no control at all', () => {
    const quiet = {
      ...region('b', false),
      errors: shiftTest(w(40, 0), w(40, 0)),
      latency: shiftTest(w(40, 0), w(40, 0)),
    };
    // with only a quiet control, the change needs healthy peers, as when every region has it
    expect(blameVerdict([region('a', true, BROKEN), quiet], [peer('x/a')]).verdict).toBe('UNCLEAR');
    expect(blameVerdict([region('a', true, BROKEN), quiet], [peer('x/a'), peer('y/a')]).verdict).toBe('LIKELY_CHANGE');
  });

  it('is UNCLEAR when no changed region rose', () => {
    expect(blameVerdict([region('a', true), region('b', false)], [peer('x/a'), peer('y/a')]).verdict).toBe('UNCLEAR');
  });
});

describe('changeVerdict: the changed regions against the unchanged ones', () => {
  it('is LIKELY_CHANGE when only changed regions degrade', () => {
    const v = changeVerdict([region('a', true, BROKEN), region('b', false), region('c', false)]);
    expect(v.verdict).toBe('LIKELY_CHANGE');
    expect(v.summary).toBe('only regions that received the change degraded (a); none of the 2 without it did');
  });

  it('is LIKELY_EXTERNAL when at least half the unchanged regions degrade too, whatever the changed ones did', () => {
    const external = changeVerdict([region('a', true, BROKEN), region('b', false, BROKEN), region('c', false)]);
    expect(external.verdict).toBe('LIKELY_EXTERNAL');
    expect(external.summary).toBe('1 of 2 regions without the change degraded too (b)');
    expect(changeVerdict([region('a', true), region('b', false, BROKEN)]).verdict).toBe('LIKELY_EXTERNAL');
  });

  it('counts slow requests as degradation as well as errors', () => {
    expect(changeVerdict([region('a', true, HEALTHY, BROKEN), region('b', false)]).verdict).toBe('LIKELY_CHANGE');
  });

  it('is UNCLEAR with nothing to compare, no shift, or a mixed picture', () => {
    expect(changeVerdict([region('a', true, BROKEN)]).summary).toBe(
      'every region (a) received the change, so none is left to compare with',
    );
    expect(changeVerdict([region('a', true), region('b', false)]).verdict).toBe('UNCLEAR');
    const mixed = changeVerdict([
      region('a', true, BROKEN),
      region('b', false, BROKEN),
      region('c', false),
      region('d', false),
    ]);
    expect(mixed.verdict).toBe('UNCLEAR');
    expect(mixed.summary).toMatch(/^changed regions degraded \(a\), but so did 1 of 3 without the change \(b\)$/);
  });
});

describe('scoreSuspect: shift not shared by the control, then proximity, then scope', () => {
  const control = [region('b', false), region('c', false)];

  it('ranks a faulty change an hour back above a harmless one a minute back', () => {
    const faulty = scoreSuspect({
      focus: region('a', true, BROKEN),
      control,
      minutesBeforeAlert: 60,
      sameService: true,
    });
    const harmless = scoreSuspect({ focus: region('a', true), control, minutesBeforeAlert: 1, sameService: true });
    expect(faulty.shiftStrength).toBe(1);
    expect(harmless.shiftStrength).toBe(0);
    expect(faulty.score).toBeGreaterThan(harmless.score);
    expect(faulty.score).toBeGreaterThanOrEqual(BLAME_THRESHOLD);
    expect(harmless.score).toBeLessThan(BLAME_THRESHOLD);
  });

  it('does not blame a change for a degradation its control regions share', () => {
    const shared = [region('b', false, BROKEN), region('c', false, BROKEN)];
    const s = scoreSuspect({
      focus: region('a', true, BROKEN),
      control: shared,
      minutesBeforeAlert: 0,
      sameService: true,
    });
    expect(s).toMatchObject({ shiftStrength: 1, controlDegradedShare: 1, proximity: 1, scope: 1 });
    expect(s.score).toBeCloseTo(DEFAULT_SCORE.weights.proximity + DEFAULT_SCORE.weights.scope);
    expect(s.score).toBeLessThan(BLAME_THRESHOLD);
  });

  it('halves proximity every half-life and weighs another service’s change half', () => {
    const at = (minutes: number, sameService: boolean) =>
      scoreSuspect({ focus: region('a', true), control, minutesBeforeAlert: minutes, sameService });
    expect(at(10, true).proximity).toBe(0.5);
    expect(at(20, true).proximity).toBe(0.25);
    expect(at(5, false).scope).toBe(0.5);
    expect(at(5, true).score).toBeGreaterThan(at(5, false).score);
  });
});
