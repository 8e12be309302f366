import { z } from 'zod';
import { loadEnv, portSchema } from '../../../libs/platform/src/config';
import { DEFAULT_REGIONS } from './region-fleet';

export const DEFAULT_REGION_SIM_PORT = 4100;

export interface RegionSimConfig {
  host: string;
  port: number;
  regions: string[];
  /** Labels the simulator's metrics with this service (REGION_SIM_SERVICE); unset: no label. */
  service?: string;
}

export function loadRegionSimConfig(env: NodeJS.ProcessEnv = process.env): RegionSimConfig {
  const c = loadEnv(
    {
      REGION_SIM_HOST: z.string().default('127.0.0.1'),
      REGION_SIM_PORT: portSchema.default(DEFAULT_REGION_SIM_PORT),
      REGION_SIM_REGIONS: z
        .string()
        .default(DEFAULT_REGIONS.join(','))
        .transform((s) =>
          s
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
        )
        .refine((r) => r.length > 0, 'must name at least one region'),
      REGION_SIM_SERVICE: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a service name (lowercase letters, digits, dashes)')
        .optional(),
    },
    env,
  );
  return {
    host: c.REGION_SIM_HOST,
    port: c.REGION_SIM_PORT,
    regions: c.REGION_SIM_REGIONS,
    service: c.REGION_SIM_SERVICE,
  };
}
