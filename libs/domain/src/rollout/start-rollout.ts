import { z } from 'zod';
import { gatesSchema, withInterval } from '../gates/gate-spec';
import { planRequestSchema } from '../plan/rollout-plan';
import { SluiceError } from '../errors';
import { parseInput } from '../validation';
import { regionConfigFields, regionConfigs, type RegionConfigRequest } from './region-configs';

/** Largest config document accepted, in bytes of its JSON form. */
export const MAX_CONFIG_BYTES = 256 * 1024;
export const DEFAULT_GATE_INTERVAL_SECONDS = 30;

export const startRolloutSchema = planRequestSchema.extend({
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
  ...regionConfigFields,
  description: z.string().max(2000).optional(),
  gates: gatesSchema,
  gateIntervalSeconds: z.number().int().min(1).max(3_600).default(DEFAULT_GATE_INTERVAL_SECONDS),
});
export type StartRolloutRequest = z.infer<typeof startRolloutSchema>;

/** A start request, checked, with defaults, and `{{interval}}` filled in every gate query. */
export function parseStartRollout(input: unknown): StartRolloutRequest {
  const request = parseInput(startRolloutSchema, input, 'rollout request');
  return { ...request, gates: request.gates.map((gate) => withInterval(gate, request.gateIntervalSeconds)) };
}

/**
 * Each region's effective config for a start request (null: every region gets `config`), each
 * within the size limit. BAD_USER_INPUT as `regionConfigs` says, or for a config too large.
 */
export function startRolloutConfigs(
  request: RegionConfigRequest,
  service: string,
  regions: readonly string[],
): Map<string, Record<string, unknown>> | null {
  const configs = regionConfigs(request, service, regions);
  for (const [region, config] of configs ?? []) {
    if (JSON.stringify(config).length > MAX_CONFIG_BYTES) {
      throw SluiceError.badInput(`the config of region "${region}" is over ${MAX_CONFIG_BYTES} bytes as JSON`, [
        { field: 'regionOverrides', message: `${region}: must be at most ${MAX_CONFIG_BYTES} bytes as JSON` },
      ]);
    }
  }
  return configs;
}
