import { ApplicationFailure } from '@temporalio/common';
import { TICK_NOT_DUE, tickIsDue } from './gate.activities';

const t0 = Date.parse('2026-12-02T10:00:00Z');

describe('tickIsDue: a tick scheduled before its instant waits in the retry', () => {
  it('fails the first attempt as a benign wait for exactly the time left', () => {
    let thrown: unknown;
    try {
      tickIsDue(t0 + 30_000, { attempt: 1, scheduledTimestampMs: t0 + 12 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    const failure = thrown as ApplicationFailure;
    expect(failure.type).toBe(TICK_NOT_DUE);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(29_988);
    expect(failure.category).toBe('BENIGN');
    expect(failure.message).toContain('2026-12-02T10:00:30.000Z');
  });

  it('evaluates at once without an instant, at or past it, and on every later attempt', () => {
    expect(() => tickIsDue(undefined, { attempt: 1, scheduledTimestampMs: t0 })).not.toThrow();
    expect(() => tickIsDue(t0, { attempt: 1, scheduledTimestampMs: t0 })).not.toThrow();
    expect(() => tickIsDue(t0, { attempt: 1, scheduledTimestampMs: t0 + 5 })).not.toThrow();
    // The second attempt comes after the wait, or after a failed evaluation: it never waits again.
    expect(() => tickIsDue(t0 + 30_000, { attempt: 2, scheduledTimestampMs: t0 })).not.toThrow();
  });
});
