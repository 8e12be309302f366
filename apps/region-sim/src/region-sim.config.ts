import { z } from 'zod';
import { ConfigError, loadEnv, portSchema } from '../../../libs/platform/src/config';
import { DEFAULT_REGIONS } from './region-fleet';

export const DEFAULT_REGION_SIM_PORT = 4100;

export interface RegionSimConfig {
  host: string;
  port: number;
  regions: string[];
  /** Labels the simulator's metrics with this service (REGION_SIM_SERVICE); unset: no label. */
  service?: string;
  /** Regions' own natural error rates (REGION_SIM_BASE_ERROR_RATES=`eu-west-1=0.0025,…`). */
  baseErrorRates: Record<string, number>;
}

/** `region=rate,…` with each rate in 0..1: the regions' natural error rates. */
const baseErrorRatesSchema = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const rates: Record<string, number> = {};
    for (const pair of s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [region, rate, ...rest] = pair.split('=');
      const value = Number(rate);
      if (!region || rate === undefined || rest.length > 0 || !(value >= 0 && value <= 1)) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" must be region=rate with a rate from 0 to 1` });
        return z.NEVER;
      }
      rates[region.trim()] = value;
    }
    return rates;
  });

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
      REGION_SIM_BASE_ERROR_RATES: baseErrorRatesSchema,
    },
    env,
  );
  const unknown = Object.keys(c.REGION_SIM_BASE_ERROR_RATES).filter((r) => !c.REGION_SIM_REGIONS.includes(r));
  if (unknown.length > 0) {
    throw new ConfigError(
      `REGION_SIM_BASE_ERROR_RATES names regions the simulator does not have: ${unknown.join(', ')}`,
    );
  }
  return {
    host: c.REGION_SIM_HOST,
    port: c.REGION_SIM_PORT,
    regions: c.REGION_SIM_REGIONS,
    service: c.REGION_SIM_SERVICE,
    baseErrorRates: c.REGION_SIM_BASE_ERROR_RATES,
  };
}
