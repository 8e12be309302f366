import { z } from 'zod';
import {
  loadDatabaseUrl,
  loadEnv,
  loadPoolSize,
  loadTemporalSettings,
  portSchema,
  type TemporalSettings,
} from '../../../libs/platform/src/config';
import { loadTokenRegistry, type TokenRegistry } from './auth/token-registry';
import type { DeliveryPolicy } from './hooks/halt-delivery';
import { REGION_MATCH_MODES, type RegionMatchMode } from './hooks/region-matching';
import { DEFAULT_ALERT_LABELS, type AlertLabels } from './hooks/alertmanager-payload';
import { loadInsightOptions, type InsightOptions } from '../../../libs/insight/src/insight-options';
import { loadEndpointPolicy, type EndpointPolicy } from '../../../libs/targets/src/endpoint-policy';
import {
  loadNotificationSettings,
  type NotificationSettings,
} from '../../../libs/notifications/src/notification-settings';
import { loadMonitoringConnection, type MonitoringConnection } from '../../../libs/targets/src/monitoring-connection';

export const DEFAULT_GATEWAY_PORT = 4000;

export interface GatewayConfig {
  temporal: TemporalSettings;
  databaseUrl: string;
  host: string;
  port: number;
  /** Development mode: well-known dev tokens and the explorer on. Production is the default. */
  development: boolean;
  /** The GraphQL explorer at /explorer (default: on in development, off in production). */
  explorer: boolean;
  tokens: TokenRegistry;
  /** Alert label names that name the service and the region (Alertmanager webhook). */
  alertLabels: AlertLabels;
  /** How an alert's region label names a service region (SLUICE_ALERT_REGION_MATCH; default exact). */
  alertRegionMatch: RegionMatchMode;
  /** The halt outbox's deadlines, lease and attempts; defaults when absent (tests shorten them). */
  haltDelivery?: DeliveryPolicy;
  /** Prometheus, read by incident insight (suspects and verdicts) and the error rates (PROMETHEUS_*). */
  prometheus: MonitoringConnection;
  insight: InsightOptions;
  /** Browser origins allowed to call the API cross-origin (CORS); none by default. */
  corsOrigins: string[];
  /** PostgreSQL connections (PG_POOL_MAX; default 10). */
  poolSize?: number;
  /** Region endpoints allowed and denied (SLUICE_TARGET_ALLOW / SLUICE_TARGET_DENY; none by default). */
  endpointPolicy?: EndpointPolicy;
  /** Notification channels from a file, the links' base URL and the delivery policy (SLUICE_NOTIFY_*). */
  notifications: NotificationSettings;
  /** How often /metrics' values from Temporal and PostgreSQL are read (GATEWAY_METRICS_REFRESH_SECONDS; default 15). */
  metricsRefreshSeconds?: number;
  /** One access log line per request: on in the gateway process, off in a gateway a spec embeds. */
  accessLog?: boolean;
}

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const c = loadEnv(
    {
      GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
      GATEWAY_PORT: portSchema.default(DEFAULT_GATEWAY_PORT),
      SLUICE_MODE: z.enum(['development', 'production']).default('production'),
      SLUICE_EXPLORER: flag.optional(),
      SLUICE_ALERT_SERVICE_LABEL: z.string().min(1).default(DEFAULT_ALERT_LABELS.service),
      SLUICE_ALERT_REGION_LABEL: z.string().min(1).default(DEFAULT_ALERT_LABELS.region),
      SLUICE_ALERT_REGION_MATCH: z.enum(REGION_MATCH_MODES).default('exact'),
      GATEWAY_METRICS_REFRESH_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
      SLUICE_CORS_ORIGINS: z
        .string()
        .default('')
        .transform((s) =>
          s
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each origin must be an http(s) URL' }))),
    },
    env,
  );
  const development = c.SLUICE_MODE === 'development';
  return {
    temporal: loadTemporalSettings(env),
    databaseUrl: loadDatabaseUrl(env),
    host: c.GATEWAY_HOST,
    port: c.GATEWAY_PORT,
    development,
    accessLog: true,
    explorer: c.SLUICE_EXPLORER ?? development,
    tokens: loadTokenRegistry(env, development),
    alertLabels: { service: c.SLUICE_ALERT_SERVICE_LABEL, region: c.SLUICE_ALERT_REGION_LABEL },
    alertRegionMatch: c.SLUICE_ALERT_REGION_MATCH,
    prometheus: loadMonitoringConnection('PROMETHEUS', env),
    insight: loadInsightOptions(env),
    corsOrigins: c.SLUICE_CORS_ORIGINS.map((o) => new URL(o).origin),
    poolSize: loadPoolSize(env),
    endpointPolicy: loadEndpointPolicy(env),
    notifications: loadNotificationSettings(env),
    metricsRefreshSeconds: c.GATEWAY_METRICS_REFRESH_SECONDS,
  };
}
