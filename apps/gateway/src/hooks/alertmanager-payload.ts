import { z } from 'zod';

/** Text PostgreSQL can store: no NUL characters (refused here, not when the outbox row is written). */
export const storableText = z.string().refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/** One alert of a webhook payload, Alertmanager's or Grafana's (only the fields Sluice reads are required). */
export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(storableText, storableText),
  annotations: z.record(storableText, storableText).default({}),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: storableText.optional(),
  generatorURL: storableText.default(''),
  fingerprint: storableText.min(1),
});
export type Alert = z.infer<typeof alertSchema>;

const commonFields = {
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().default(''),
  groupKey: z.string().default(''),
  alerts: z.array(alertSchema).max(1_000),
  externalURL: z.string().default(''),
};

/** Alertmanager's webhook payload, version 4. */
export const alertmanagerPayloadSchema = z.object({ version: z.literal('4'), ...commonFields });

/**
 * Grafana-managed alerting's webhook contact point, version 1: Alertmanager's fields (Grafana
 * notifies through its own Alertmanager), each alert's extras (values, panelURL, ...) unread,
 * plus its org and rendered title, state and message.
 */
export const grafanaPayloadSchema = z.object({
  version: z.literal('1'),
  ...commonFields,
  orgId: z.number().int().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
});

const versionOf = (input: unknown) =>
  JSON.stringify(
    (typeof input === 'object' && input !== null ? (input as { version?: unknown }).version : null) ?? null,
  );

/** What `POST /hooks/alertmanager` accepts: either sender's payload; their alerts halt alike. */
export const webhookPayloadSchema = z.discriminatedUnion('version', [alertmanagerPayloadSchema, grafanaPayloadSchema], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `webhook payload version ${versionOf(issue.input).slice(0, 40)} is not understood: "4" (Alertmanager) and "1" (Grafana) are`
      : undefined,
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

export interface AlertLabels {
  service: string;
  region: string;
}

/** The label names that say which service and region an alert is about (configurable). */
export const DEFAULT_ALERT_LABELS: AlertLabels = { service: 'service', region: 'region' };
