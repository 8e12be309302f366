import { Cron } from 'croner';
import { z } from 'zod';
import type { FreezeWindow } from './freeze-window';

/** `90m`, `2h`, `1h30m`, `3d`: a duration as SREs write it (days, hours, minutes). */
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
/** A recurring freeze lasts at most a week: a longer one is a service that never changes. */
const MAX_DURATION_MINUTES = 7 * 24 * 60;

/** Minutes in a `1h30m`-style duration, or null when it is not one. */
export function durationMinutes(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m || text === '') return null;
  const [days, hours, minutes] = [m[1], m[2], m[3]].map((part) => Number(part ?? 0));
  return days * 1440 + hours * 60 + minutes;
}

/** Why `expression` in `timeZone` is not a usable schedule, or null when it is. */
export function cronProblem(expression: string, timeZone: string): string | null {
  try {
    // Five fields only: a seconds field would freeze for seconds, never what a person means.
    if (expression.trim().split(/\s+/).length !== 5) return 'must have five fields: minute hour day month weekday';
    new Cron(expression, { timezone: timeZone, paused: true }).nextRun(new Date(0));
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^Cron\w*: /, '');
  }
}

/**
 * A freeze that comes back on a schedule: every `cron` occurrence, evaluated in `timeZone`
 * (IANA, daylight saving included), starts a window of `duration`. E.g. Friday evenings:
 * `{cron: "0 18 * * 5", duration: "62h", timeZone: "Europe/Berlin"}`.
 */
export const recurringFreezeSchema = z
  .object({
    cron: z.string().min(1).max(100),
    duration: z
      .string()
      .refine((d) => (durationMinutes(d) ?? 0) > 0, 'must be a duration such as 90m, 2h, 1h30m or 2d')
      .refine((d) => (durationMinutes(d) ?? 0) <= MAX_DURATION_MINUTES, 'must be at most 7d'),
    timeZone: z.string().min(1).max(64).default('UTC'),
    reason: z.string().min(1, 'say why changes are frozen').max(500),
  })
  .superRefine((freeze, ctx) => {
    const problem = cronProblem(freeze.cron, freeze.timeZone);
    if (problem) {
      const onZone = /time ?zone/i.test(problem);
      ctx.addIssue({ code: 'custom', path: [onZone ? 'timeZone' : 'cron'], message: problem });
    }
  });
export type RecurringFreeze = z.infer<typeof recurringFreezeSchema>;

/**
 * The occurrence of `freeze` covering `at`, as a plain window, or undefined. Pure and
 * deterministic, so the workflow calls it with workflow time and it replays.
 */
export function recurringOccurrence(freeze: RecurringFreeze, at: Date): FreezeWindow | undefined {
  const minutes = durationMinutes(freeze.duration) ?? 0;
  const lengthMs = minutes * 60_000;
  // The first occurrence after (at − duration) is the one still open at `at`, if any.
  const cron = new Cron(freeze.cron, { timezone: freeze.timeZone, paused: true });
  const start = cron.nextRun(new Date(at.getTime() - lengthMs));
  if (!start || start.getTime() > at.getTime()) return undefined;
  return {
    start: start.toISOString(),
    end: new Date(start.getTime() + lengthMs).toISOString(),
    reason: freeze.reason,
  };
}

/** The next `count` occurrences from `from`, as windows: what `sluice` and the board show. */
export function upcomingOccurrences(freeze: RecurringFreeze, from: Date, count: number): FreezeWindow[] {
  const lengthMs = (durationMinutes(freeze.duration) ?? 0) * 60_000;
  const cron = new Cron(freeze.cron, { timezone: freeze.timeZone, paused: true });
  return cron.nextRuns(count, from).map((start) => ({
    start: start.toISOString(),
    end: new Date(start.getTime() + lengthMs).toISOString(),
    reason: freeze.reason,
  }));
}
