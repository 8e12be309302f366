import { z } from 'zod';

/** Text PostgreSQL can store: no NUL characters (refused here, not when the outbox row is written). */
export const storableText = z.string().refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/** Alertmanager's webhook payload, version 4 (only the fields Sluice reads are required). */
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

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4', { error: 'only Alertmanager webhook payload version "4" is understood' }),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().default(''),
  groupKey: z.string().default(''),
  alerts: z.array(alertSchema).max(1_000),
  externalURL: z.string().default(''),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

export interface AlertLabels {
  service: string;
  region: string;
}

/** The label names that say which service and region an alert is about (configurable). */
export const DEFAULT_ALERT_LABELS: AlertLabels = { service: 'service', region: 'region' };
