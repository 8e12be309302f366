import { z } from 'zod';
import {
  loadDatabaseUrl,
  loadEnv,
  loadTemporalSettings,
  portSchema,
  type TemporalSettings,
} from '../../../libs/platform/src/config';

export const DEFAULT_GATEWAY_PORT = 4000;

export interface GatewayConfig {
  temporal: TemporalSettings;
  databaseUrl: string;
  host: string;
  port: number;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const c = loadEnv(
    { GATEWAY_HOST: z.string().min(1).default('127.0.0.1'), GATEWAY_PORT: portSchema.default(DEFAULT_GATEWAY_PORT) },
    env,
  );
  return {
    temporal: loadTemporalSettings(env),
    databaseUrl: loadDatabaseUrl(env),
    host: c.GATEWAY_HOST,
    port: c.GATEWAY_PORT,
  };
}
