import { activeFreezeHold, activeFreezeWindow } from './freeze-window';
import { durationMinutes, recurringFreezeSchema, recurringOccurrence, upcomingOccurrences } from './recurring-freeze';

const friday = recurringFreezeSchema.parse({
  cron: '0 18 * * 5',
  duration: '62h',
  timeZone: 'Europe/Berlin',
  reason: 'weekend',
});

describe('recurring freezes', () => {
  it('reads durations as SREs write them', () => {
    expect(durationMinutes('90m')).toBe(90);
    expect(durationMinutes('1h30m')).toBe(90);
    expect(durationMinutes('2d')).toBe(2880);
    expect(durationMinutes('')).toBeNull();
    expect(durationMinutes('2 hours')).toBeNull();
  });

  it('covers a moment inside an occurrence, in the freeze’s own time zone', () => {
    // Friday 4 Dec 2026, 18:00 in Berlin is 17:00 UTC (winter time); 62 h later is Monday 07:00 UTC.
    expect(recurringOccurrence(friday, new Date('2026-12-05T12:00:00Z'))).toEqual({
      start: '2026-12-04T17:00:00.000Z',
      end: '2026-12-07T07:00:00.000Z',
      reason: 'weekend',
    });
    expect(recurringOccurrence(friday, new Date('2026-12-04T16:59:59Z'))).toBeUndefined();
    // the end is open: at 07:00 UTC on Monday changes may flow again
    expect(recurringOccurrence(friday, new Date('2026-12-07T07:00:00Z'))).toBeUndefined();
  });

  it('follows daylight saving: in summer the same local 18:00 is 16:00 UTC', () => {
    expect(recurringOccurrence(friday, new Date('2026-07-03T16:30:00Z'))?.start).toBe('2026-07-03T16:00:00.000Z');
  });

  it('holds a rollout as a freeze window does, until the occurrence ends', () => {
    expect(activeFreezeHold([], [], 'checkout', new Date('2026-12-06T00:00:00Z'), [friday])).toEqual({
      kind: 'WINDOW',
      reason: 'weekend',
      from: '2026-12-04T17:00:00.000Z',
      until: '2026-12-07T07:00:00.000Z',
    });
    expect(activeFreezeWindow([], new Date('2026-12-08T00:00:00Z'), [friday])).toBeUndefined();
  });

  it('lists the next occurrences', () => {
    expect(upcomingOccurrences(friday, new Date('2026-12-01T00:00:00Z'), 2).map((w) => w.start)).toEqual([
      '2026-12-04T17:00:00.000Z',
      '2026-12-11T17:00:00.000Z',
    ]);
  });

  it.each([
    [{ cron: '61 * * * *' }, 'cron', /minute/],
    [{ cron: '0 18 * * 5 *' }, 'cron', /five fields/],
    [{ cron: '0 0 * * *', timeZone: 'Mars/Base' }, 'timeZone', /timezone/i],
    [{ cron: '0 0 * * *', duration: '8d' }, 'duration', /at most 7d/],
    [{ cron: '0 0 * * *', duration: 'soon' }, 'duration', /duration such as/],
  ])('refuses %j on the field at fault', (over, field, message) => {
    const result = recurringFreezeSchema.safeParse({ duration: '1h', reason: 'r', ...over });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0];
    expect(issue.path).toEqual([field]);
    expect(issue.message).toMatch(message);
  });
});
