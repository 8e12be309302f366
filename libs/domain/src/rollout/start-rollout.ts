import { z } from 'zod';
import { gateSpecSchema } from '../gates/gate-spec';
import { strategySchema } from '../plan/rollout-plan';
import { parseInput } from '../validation';

/** Largest config document accepted, in bytes of its JSON form. */
export const MAX_CONFIG_BYTES = 256 * 1024;
export const DEFAULT_GATE_INTERVAL_SECONDS = 30;

export const explicitWaveSchema = z.object({
  regions: z.array(z.string().min(1)).min(1, 'a wave needs at least one region'),
  bakeSeconds: z.number().int().min(0).max(86_400).optional(),
  requiresApproval: z.boolean().optional(),
});

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
  /** How to build the plan; ignored for placement when `waves` is given, but its limits still validate them. */
  strategy: strategySchema.default(strategySchema.parse({})),
  /** An explicit plan; validated by the same rules as a built one. */
  waves: z.array(explicitWaveSchema).min(1).optional(),
  gates: z.array(gateSpecSchema).max(20).default([]),
  gateIntervalSeconds: z.number().int().min(1).max(3_600).default(DEFAULT_GATE_INTERVAL_SECONDS),
});
export type StartRolloutRequest = z.infer<typeof startRolloutSchema>;

export function parseStartRollout(input: unknown): StartRolloutRequest {
  return parseInput(startRolloutSchema, input, 'rollout request');
}
