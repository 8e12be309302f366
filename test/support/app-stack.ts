import { DEFAULT_NOTIFIER_POLICY, type NotificationSettings } from '../../libs/notifications/src';
import { type EndpointPolicy } from '../../libs/targets/src/endpoint-policy';
import type { MonitoringConnection } from '../../libs/targets/src/monitoring-connection';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { startGateway, type Gateway } from '../../apps/gateway/src/gateway';
import type { DeliveryPolicy } from '../../apps/gateway/src/hooks/halt-delivery';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { createSluiceWorker, type SluiceWorker } from '../../apps/worker/src/worker';
import type { TemporalSettings } from '../../libs/platform/src/config';
import { testServices } from './test-env';
import { DEFAULT_INSIGHT, type InsightOptions } from '../../libs/insight/src';
import { testTokenRegistry } from './test-tokens';

/**
 * Sluice's own processes (region-sim, worker, gateway) started in-process against the real
 * Temporal dev server and PostgreSQL of the global setup. Each stack has its own task queue,
 * so specs do not pick up each other's workflows.
 */
export interface AppStack {
  regionSim: RegionSim;
  gateway: Gateway;
  /** The in-process worker; absent when the spec runs its workers as processes. */
  worker?: SluiceWorker;
  temporal: Client;
  pool: Pool;
  settings: TemporalSettings;
  stop(): Promise<void>;
}

function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier spec in this process.
  }
}

export async function startAppStack(options: {
  regions: string[];
  explorer?: boolean;
  /** Prometheus for `prometheus` gates; a closed port when the spec uses none. */
  prometheusUrl?: string;
  /** Prometheus behind credentials, headers or TLS, for the worker and the gateway alike (instead of prometheusUrl). */
  prometheus?: MonitoringConnection;
  /** Alertmanager for `alerts` gates. */
  alertmanagerUrl?: string;
  /** Start region-sim on this port (Prometheus scrapes a fixed address). */
  regionSimPort?: number;
  /** Incident insight settings for the gateway (defaults otherwise). */
  insight?: Partial<InsightOptions>;
  /** Run a worker in this process (default); false when the spec spawns worker processes. */
  inProcessWorker?: boolean;
  /** Another Temporal server than the global setup's (one the spec stops and restarts). */
  temporalAddress?: string;
  /** Another PostgreSQL than the global setup's (one the spec stops and restarts). */
  databaseUrl?: string;
  /** How alerts' region labels match service regions (SLUICE_ALERT_REGION_MATCH). */
  alertRegionMatch?: 'exact' | 'zone';
  /** The halt outbox's delivery policy (shorter deadlines and fewer attempts in specs). */
  haltDelivery?: DeliveryPolicy;
  /** Origins the gateway lets browsers call it from. */
  corsOrigins?: string[];
  /** Region endpoints allowed and denied, for the gateway and the worker alike. */
  endpointPolicy?: EndpointPolicy;
  /** Notification channels, links and delivery policy (none, and the defaults, otherwise). */
  notifications?: Partial<NotificationSettings>;
  /** How often the gateway reads its metrics from Temporal and PostgreSQL (default 1 s in specs). */
  metricsRefreshSeconds?: number;
}): Promise<AppStack> {
  quietTemporalRuntime();
  const services = testServices();
  const databaseUrl = options.databaseUrl ?? services.databaseUrl;
  const temporalAddress = options.temporalAddress ?? services.temporalAddress;
  const settings: TemporalSettings = {
    address: temporalAddress,
    namespace: 'default',
    taskQueue: `sluice-test-${randomUUID()}`,
  };
  const prometheus = options.prometheus ?? { url: options.prometheusUrl ?? 'http://127.0.0.1:1' };
  const regionSim = await startRegionSim({ regions: options.regions, port: options.regionSimPort ?? 0 });
  const worker =
    options.inProcessWorker === false
      ? undefined
      : await createSluiceWorker({
          temporal: settings,
          databaseUrl,
          prometheus,
          alertmanager: { url: options.alertmanagerUrl ?? 'http://127.0.0.1:1' },
          insight: { ...DEFAULT_INSIGHT, ...options.insight },
          endpointPolicy: options.endpointPolicy,
        });
  const running = worker?.run();
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      temporal: settings,
      databaseUrl,
      host: '127.0.0.1',
      port: 0,
      development: false,
      explorer: options.explorer ?? false,
      tokens: testTokenRegistry(),
      alertLabels: { service: 'service', region: 'region' },
      alertRegionMatch: options.alertRegionMatch ?? 'exact',
      haltDelivery: options.haltDelivery,
      prometheus,
      insight: { ...DEFAULT_INSIGHT, ...options.insight },
      corsOrigins: options.corsOrigins ?? [],
      endpointPolicy: options.endpointPolicy,
      notifications: { fileChannels: null, publicUrl: null, policy: DEFAULT_NOTIFIER_POLICY, ...options.notifications },
      metricsRefreshSeconds: options.metricsRefreshSeconds ?? 1,
    });
  } catch (err) {
    // Leave nothing running behind a failed start, or Jest never exits.
    worker?.shutdown();
    await running;
    await regionSim.close();
    throw err;
  }
  const connection = await Connection.connect({ address: temporalAddress });
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  // a spec that restarts PostgreSQL ends idle connections; the next query opens new ones
  pool.on('error', () => undefined);
  return {
    regionSim,
    gateway,
    worker,
    temporal: new Client({ connection, namespace: settings.namespace }),
    pool,
    settings,
    async stop() {
      await gateway.close();
      worker?.shutdown();
      await running;
      await regionSim.close();
      await connection.close();
      await pool.end();
    },
  };
}
