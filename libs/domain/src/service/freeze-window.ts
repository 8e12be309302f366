import { z } from 'zod';

export const freezeWindowSchema = z
  .object({
    start: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    end: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    reason: z.string().min(1, 'say why changes are frozen').max(500),
  })
  .refine((w) => Date.parse(w.start) < Date.parse(w.end), { message: 'end must be after start', path: ['end'] });
export type FreezeWindow = z.infer<typeof freezeWindowSchema>;

/** The freeze window covering `at`, if any. */
export function activeFreezeWindow(windows: readonly FreezeWindow[], at: Date): FreezeWindow | undefined {
  const t = at.getTime();
  return windows.find((w) => Date.parse(w.start) <= t && t < Date.parse(w.end));
}
