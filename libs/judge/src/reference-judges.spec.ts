import { fixedWindowVerdict, mannWhitneyGreater, naiveIntervalAlarm, normalUpperTail } from './reference-judges';

describe('reference judges', () => {
  it('normal tail matches known quantiles', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 6);
    expect(normalUpperTail(1.6449)).toBeCloseTo(0.05, 4);
    expect(normalUpperTail(-1.6449)).toBeCloseTo(0.95, 4);
  });

  it('Mann-Whitney finds a shifted sample and not an identical one', () => {
    const low = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const high = low.map((v) => v + 6);
    expect(mannWhitneyGreater(high, low)).toBeLessThan(0.01);
    expect(mannWhitneyGreater(low, low)).toBeGreaterThan(0.4);
    expect(mannWhitneyGreater([1, 1, 1], [1, 1, 1])).toBe(1);
  });

  it('the fixed window fails a clear regression and passes equal rates', () => {
    const window = (canaryEvents: number) =>
      Array.from({ length: 30 }, (_, i) => ({
        canaryRequests: 1_000,
        canaryEvents: canaryEvents + (i % 3),
        baselineRequests: 10_000,
        baselineEvents: 50 + (i % 5),
      }));
    expect(fixedWindowVerdict(window(15), 0.05)).toBe('FAIL');
    expect(fixedWindowVerdict(window(4), 0.05)).toBe('PASS');
  });

  it('the naive z-test alarms on one bad interval', () => {
    expect(
      naiveIntervalAlarm(
        { canaryRequests: 1_000, canaryEvents: 20, baselineRequests: 10_000, baselineEvents: 50 },
        0.05,
      ),
    ).toBe(true);
    expect(
      naiveIntervalAlarm(
        { canaryRequests: 1_000, canaryEvents: 5, baselineRequests: 10_000, baselineEvents: 50 },
        0.05,
      ),
    ).toBe(false);
  });
});
