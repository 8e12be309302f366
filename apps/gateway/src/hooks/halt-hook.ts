import { createHash } from 'node:crypto';
import { z } from 'zod';
import { storableText, type Alert, type AlertLabels } from './alertmanager-payload';

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

/**
 * The outbox row a `/hooks/halt` call becomes. Its dedupe key is (fingerprint, startsAt): with
 * an `id`, the fingerprint comes from the id and startsAt is the start of the current window;
 * without one, every call is new.
 */
export function hookAlert(body: HaltBody, labels: AlertLabels, now: Date): Alert {
  const { service, region, reason, id } = body;
  const windowStart = new Date(Math.floor(now.getTime() / HALT_ID_WINDOW_MS) * HALT_ID_WINDOW_MS);
  return {
    status: 'firing',
    labels: {
      alertname: reason,
      [labels.service]: service,
      ...(region ? { [labels.region]: region } : {}),
    },
    annotations: { summary: reason },
    startsAt: (id ? windowStart : now).toISOString(),
    generatorURL: '',
    fingerprint: createHash('sha256')
      .update(id ?? `${service}/${region ?? ''}/${reason}/${now.toISOString()}`)
      .digest('hex')
      .slice(0, 16),
  };
}
