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
}

export const DEFAULT_TASK_QUEUE = 'sluice-rollouts';

export function loadTemporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const c = loadEnv(
    {
      TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
      TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
      SLUICE_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
    },
    env,
  );
  return { address: c.TEMPORAL_ADDRESS, namespace: c.TEMPORAL_NAMESPACE, taskQueue: c.SLUICE_TASK_QUEUE };
}

export function loadDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return loadEnv({ DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be set to a postgres:// URL') }, env)
    .DATABASE_URL;
}
