import { z } from 'zod';
import { recurringOccurrence, type RecurringFreeze } from './recurring-freeze';

export const freezeWindowSchema = z
  .object({
    start: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    end: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    reason: z.string().min(1, 'say why changes are frozen').max(500),
  })
  .refine((w) => Date.parse(w.start) < Date.parse(w.end), { message: 'end must be after start', path: ['end'] });
export type FreezeWindow = z.infer<typeof freezeWindowSchema>;

/** The freeze window covering `at`, if any: a dated one, or an occurrence of a recurring one. */
export function activeFreezeWindow(
  windows: readonly FreezeWindow[],
  at: Date,
  recurring: readonly RecurringFreeze[] = [],
): FreezeWindow | undefined {
  const t = at.getTime();
  const dated = windows.find((w) => Date.parse(w.start) <= t && t < Date.parse(w.end));
  if (dated) return dated;
  for (const freeze of recurring) {
    const occurrence = recurringOccurrence(freeze, at);
    if (occurrence) return occurrence;
  }
  return undefined;
}

/**
 * A freeze declared during an incident (the `declareFreeze` mutation): holds every running
 * rollout of its service, or of every service when `service` is null, before its next push.
 */
export interface EmergencyFreeze {
  id: string;
  /** null: every service. */
  service: string | null;
  reason: string;
  declaredBy: string;
  declaredAt: string;
  /** When it ends by itself; null: until it is lifted. */
  until: string | null;
}

/** What holds a rollout before its next wave: a planned freeze window or an emergency freeze. */
export interface FreezeHold {
  kind: 'WINDOW' | 'EMERGENCY';
  reason: string;
  /** The window's start, or when the emergency freeze was declared. */
  from: string;
  /** When the hold ends by itself; null: until the emergency freeze is lifted. */
  until: string | null;
  /** The emergency freeze's id. */
  freezeId?: string;
  /** Who declared the emergency freeze. */
  by?: string;
}

/** Whether an emergency freeze covers `service` at `at` (declared for it or for every service, not ended). */
export function freezeCovers(freeze: EmergencyFreeze, service: string, at: Date): boolean {
  return (
    (freeze.service === null || freeze.service === service) &&
    (freeze.until === null || at.getTime() < Date.parse(freeze.until))
  );
}

/**
 * What holds a rollout of `service` at `at`, if anything: an emergency freeze first (the
 * oldest declared, as people saw it first), then a freeze window.
 */
export function activeFreezeHold(
  windows: readonly FreezeWindow[],
  freezes: readonly EmergencyFreeze[],
  service: string,
  at: Date,
  recurring: readonly RecurringFreeze[] = [],
): FreezeHold | null {
  const emergency = freezes
    .filter((f) => freezeCovers(f, service, at))
    .sort((a, b) => a.declaredAt.localeCompare(b.declaredAt) || a.id.localeCompare(b.id))[0];
  if (emergency) {
    return {
      kind: 'EMERGENCY',
      reason: emergency.reason,
      from: emergency.declaredAt,
      until: emergency.until,
      freezeId: emergency.id,
      by: emergency.declaredBy,
    };
  }
  const window = activeFreezeWindow(windows, at, recurring);
  return window ? { kind: 'WINDOW', reason: window.reason, from: window.start, until: window.end } : null;
}
