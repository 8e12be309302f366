import { z } from 'zod';
import { storableText } from './alertmanager-payload';

/** `POST /hooks/halt`: for monitoring tools other than Alertmanager. */
export const haltBodySchema = z.object({
  service: storableText.min(1).max(63),
  region: storableText.min(1).max(63).optional(),
  reason: storableText.min(1).max(500),
  /** Identifies the alert in the caller's tool; a repeat with the same id within the window is a duplicate. */
  id: storableText.min(1).max(200).optional(),
});
export type HaltBody = z.infer<typeof haltBodySchema>;

/**
 * How long a repeated `/hooks/halt` with the same `id` counts as a duplicate. After it, the
 * same id halts again: an incident still being reported must stop a rollout started since.
 */
export const HALT_ID_WINDOW_MS = 10 * 60_000;
