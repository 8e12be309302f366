import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Every setting comes from the environment and is validated at start-up; an invalid
 * value stops the process with a message naming the variable.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const portSchema = z.coerce.number().int().min(0).max(65535);

export function loadEnv<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Temporal Cloud API key (TEMPORAL_API_KEY); implies TLS. */
  apiKey?: string;
  /** mTLS: the client certificate and key, and optionally the server CA, as PEM text. */
  tls?: { clientCert: string; clientKey: string; serverCa?: string; serverName?: string };
}

export const DEFAULT_TASK_QUEUE = 'sluice-rollouts';

/** A PEM file named by an environment variable, read at start-up; a missing file names the variable. */
export const pemFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(err as Error).message}` });
      return z.NEVER;
    }
  });

/**
 * Temporal's address, namespace and credentials, named as @temporalio/envconfig names them
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH,
 * TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME).
 */
export function loadTemporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const c = loadEnv(
    {
      TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
      TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
      SLUICE_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
      TEMPORAL_API_KEY: z.string().min(1).optional(),
      TEMPORAL_TLS_CLIENT_CERT_PATH: pemFile.optional(),
      TEMPORAL_TLS_CLIENT_KEY_PATH: pemFile.optional(),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pemFile.optional(),
      TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    },
    env,
  );
  const cert = c.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = c.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      'Invalid configuration:\n  TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: set both or neither',
    );
  }
  return {
    address: c.TEMPORAL_ADDRESS,
    namespace: c.TEMPORAL_NAMESPACE,
    taskQueue: c.SLUICE_TASK_QUEUE,
    ...(c.TEMPORAL_API_KEY ? { apiKey: c.TEMPORAL_API_KEY } : {}),
    ...(cert && key
      ? {
          tls: {
            clientCert: cert,
            clientKey: key,
            ...(c.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? { serverCa: c.TEMPORAL_TLS_SERVER_CA_CERT_PATH } : {}),
            ...(c.TEMPORAL_TLS_SERVER_NAME ? { serverName: c.TEMPORAL_TLS_SERVER_NAME } : {}),
          },
        }
      : {}),
  };
}

/** What both @temporalio/client's Connection and @temporalio/worker's NativeConnection accept. */
export interface TemporalConnectionOptions {
  address: string;
  apiKey?: string;
  tls?:
    | boolean
    | {
        clientCertPair?: { crt: Buffer; key: Buffer };
        serverRootCACertificate?: Buffer;
        serverNameOverride?: string;
      };
}

/** Connection options for @temporalio/client and @temporalio/worker alike. */
export function temporalConnectionOptions(settings: TemporalSettings): TemporalConnectionOptions {
  const { tls } = settings;
  return {
    address: settings.address,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(tls
      ? {
          tls: {
            clientCertPair: { crt: Buffer.from(tls.clientCert), key: Buffer.from(tls.clientKey) },
            ...(tls.serverCa ? { serverRootCACertificate: Buffer.from(tls.serverCa) } : {}),
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
          },
        }
      : settings.apiKey
        ? { tls: true }
        : {}),
  };
}

/** Connections per process to PostgreSQL (PG_POOL_MAX). */
export function loadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  return loadEnv({ PG_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10) }, env).PG_POOL_MAX;
}

export function loadDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const message = 'must be set to a postgres:// URL';
  return loadEnv({ DATABASE_URL: z.string({ error: message }).regex(/^postgres(ql)?:\/\//, message) }, env)
    .DATABASE_URL;
}
