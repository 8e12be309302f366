import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { channelSpecSchema, type ChannelSpec } from '../../domain/src';
import { ConfigError, loadEnv } from '../../platform/src/config';
import { DEFAULT_NOTIFIER_POLICY, type NotifierPolicy } from './notifier';
import { secretFileProblem } from './sinks';

export interface NotificationSettings {
  /** Channels from SLUICE_NOTIFICATIONS_FILE, or null when no file is named (the API's only). */
  fileChannels: ChannelSpec[] | null;
  /** Base of the links notifications carry (SLUICE_PUBLIC_URL). */
  publicUrl: string | null;
  policy: NotifierPolicy;
}

const fileSchema = z.strictObject({ channels: z.array(channelSpecSchema) });

/** Reads and validates the channels file; any problem stops the start with the file and field named. */
export function loadChannelsFile(path: string, env: NodeJS.ProcessEnv = process.env): ChannelSpec[] {
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`SLUICE_NOTIFICATIONS_FILE: cannot read ${path}: ${(err as Error).message}`);
  }
  const result = fileSchema.safeParse(document);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`SLUICE_NOTIFICATIONS_FILE: invalid channels in ${path}:\n${lines.join('\n')}`);
  }
  const outside = result.data.channels.flatMap((c) =>
    (['urlFrom', 'signingSecretFrom', 'tokenFrom'] as const).flatMap((field) => {
      const file = c[field]?.file;
      const problem = file ? secretFileProblem(file, env) : null;
      return problem ? [`  ${c.name}.${field}: ${problem}`] : [];
    }),
  );
  if (outside.length > 0)
    throw new ConfigError(`SLUICE_NOTIFICATIONS_FILE: invalid channels in ${path}:\n${outside.join('\n')}`);
  const names = result.data.channels.map((c) => c.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0)
    throw new ConfigError(`SLUICE_NOTIFICATIONS_FILE: channel ${twice[0]} is defined twice in ${path}`);
  return result.data.channels;
}

export function loadNotificationSettings(env: NodeJS.ProcessEnv = process.env): NotificationSettings {
  const c = loadEnv(
    {
      SLUICE_NOTIFICATIONS_FILE: z.string().min(1).optional(),
      SLUICE_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
      SLUICE_NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(DEFAULT_NOTIFIER_POLICY.maxAttempts),
      SLUICE_NOTIFY_MAX_BACKOFF_SECONDS: z.coerce
        .number()
        .int()
        .min(1)
        .max(86_400)
        .default(DEFAULT_NOTIFIER_POLICY.maxBackoffSeconds),
      SLUICE_NOTIFY_TIMEOUT_MS: z.coerce
        .number()
        .int()
        .min(100)
        .max(120_000)
        .default(DEFAULT_NOTIFIER_POLICY.timeoutMs),
    },
    env,
  );
  return {
    fileChannels: c.SLUICE_NOTIFICATIONS_FILE ? loadChannelsFile(c.SLUICE_NOTIFICATIONS_FILE, env) : null,
    publicUrl: c.SLUICE_PUBLIC_URL ?? null,
    policy: {
      ...DEFAULT_NOTIFIER_POLICY,
      maxAttempts: c.SLUICE_NOTIFY_MAX_ATTEMPTS,
      maxBackoffSeconds: c.SLUICE_NOTIFY_MAX_BACKOFF_SECONDS,
      timeoutMs: c.SLUICE_NOTIFY_TIMEOUT_MS,
    },
  };
}
