import { z } from 'zod';
import { parseInput } from '../validation';

/** Largest config document accepted, in bytes of its JSON form. */
export const MAX_CONFIG_BYTES = 256 * 1024;

export const startRolloutSchema = z.object({
  service: z.string().trim().min(1, 'must not be empty'),
  version: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
      'must start with a letter or digit and use only letters, digits, ".", "_", "+", "-"',
    ),
  config: z
    .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
    .refine((config) => JSON.stringify(config).length <= MAX_CONFIG_BYTES, {
      message: `must be at most ${MAX_CONFIG_BYTES} bytes as JSON`,
    }),
  description: z.string().max(2000).optional(),
});
export type StartRolloutRequest = z.infer<typeof startRolloutSchema>;

export function parseStartRollout(input: unknown): StartRolloutRequest {
  return parseInput(startRolloutSchema, input, 'rollout request');
}
