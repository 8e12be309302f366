import { z } from 'zod';
import { parseInput } from '../validation';
import { NOTIFICATION_TRIGGERS, SEVERITIES, type NotificationTrigger } from './notification';

export const CHANNEL_KINDS = ['webhook', 'slack', 'grafana'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Environment variables a channel may name: only these, so a channel cannot send the gateway's own credentials. */
export const SECRET_ENV_PREFIX = 'SLUICE_SECRET_';

/**
 * A secret by reference, never by value: an environment variable of the gateway named
 * `SLUICE_SECRET_*`, or a file under the gateway's SLUICE_SECRETS_DIR (a mounted Kubernetes
 * secret). Only those, so a channel cannot point at DATABASE_URL, a token file or any other
 * secret of the gateway's and send it to its URL. Resolved at each send, so a rotation needs
 * no restart when the file changes.
 */
export const secretRefSchema = z
  .strictObject({
    env: z
      .string()
      .regex(/^SLUICE_SECRET_[A-Z0-9_]+$/, `a variable named ${SECRET_ENV_PREFIX}…, e.g. SLUICE_SECRET_SLACK_URL`)
      .optional(),
    file: z.string().startsWith('/', 'an absolute path (under SLUICE_SECRETS_DIR)').optional(),
  })
  .refine((r) => (r.env === undefined) !== (r.file === undefined), 'exactly one of env or file');
export type SecretRef = z.infer<typeof secretRefSchema>;

/** Rollout triggers for people; pushes and rollbacks for dashboards. */
export const DEFAULT_TRIGGERS: Record<ChannelKind, readonly NotificationTrigger[]> = {
  webhook: ['APPROVAL_REQUESTED', 'HALTED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'SUCCEEDED', 'PRECHECK_FAILED'],
  slack: ['APPROVAL_REQUESTED', 'HALTED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'SUCCEEDED', 'PRECHECK_FAILED'],
  grafana: ['REGION_PUSHED', 'REGION_ROLLED_BACK'],
};

const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

export const channelSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, at most 63, e.g. team-slack'),
    kind: z.enum(CHANNEL_KINDS),
    /** Where to send; or `urlFrom` when the URL is itself a secret (Slack's incoming webhooks: required). */
    url: httpUrl.optional(),
    urlFrom: secretRefSchema.optional(),
    /** webhook: the HMAC-SHA256 key of the X-Sluice-Signature-256 header. */
    signingSecretFrom: secretRefSchema.optional(),
    /** grafana: a service account token (Editor, or annotations:write). */
    tokenFrom: secretRefSchema.optional(),
    triggers: z.array(z.enum(NOTIFICATION_TRIGGERS)).min(1).optional(),
    /** Only these services (all when empty or absent). */
    services: z.array(z.string().min(1)).default([]),
    minSeverity: z.enum(SEVERITIES).default('info'),
    /** grafana: the dashboard the annotations belong to (organisation-wide without it). */
    dashboardUid: z.string().min(1).optional(),
    /** grafana: tags added to every annotation, besides sluice, the service, region and trigger. */
    tags: z.array(z.string().min(1)).default([]),
    enabled: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if ((c.url === undefined) === (c.urlFrom === undefined)) issue('url', 'give exactly one of url or urlFrom');
    if (c.kind === 'slack' && c.url !== undefined)
      issue('url', 'a Slack webhook URL is a secret: give it as urlFrom (env or file), not url');
    if (c.kind === 'webhook' && !c.signingSecretFrom)
      issue('signingSecretFrom', 'a webhook channel signs its events: name the key (env or file)');
    if (c.kind !== 'webhook' && c.signingSecretFrom) issue('signingSecretFrom', 'only webhook channels sign');
    if (c.kind === 'grafana' && !c.tokenFrom) issue('tokenFrom', 'a grafana channel needs a token (env or file)');
    if (c.kind !== 'grafana' && c.tokenFrom) issue('tokenFrom', 'only grafana channels take a token');
    if (c.kind !== 'grafana' && c.dashboardUid) issue('dashboardUid', 'only grafana channels annotate dashboards');
  })
  .transform((c) => ({ ...c, triggers: c.triggers ?? DEFAULT_TRIGGERS[c.kind] }));

export type ChannelSpecInput = z.input<typeof channelSpecSchema>;
export type ChannelSpec = z.output<typeof channelSpecSchema>;

/** Validates a channel, or throws BAD_USER_INPUT naming each failing field. */
export function parseChannelSpec(input: unknown): ChannelSpec {
  return parseInput(channelSpecSchema, input, 'notification channel');
}
