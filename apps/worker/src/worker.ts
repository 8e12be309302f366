import type { EndpointPolicy } from '../../../libs/targets/src/endpoint-policy';
import { NativeConnection, Worker } from '@temporalio/worker';
import { upcastEventData } from '../../../libs/domain/src';
import { PgEventStore } from '../../../libs/event-store/src';
import { CachedConfigStore, PgConfigStore } from '../../../libs/config-store/src';
import { ProjectionRunner, Projector, ReadModels } from '../../../libs/projections/src';
import { FleetConfigs } from '../../../libs/redundancy/src';
import { PgServiceCatalog } from '../../../libs/service-catalog/src';
import { PgScenarioRuns } from '../../../libs/scenarios/src/scenario-runs-store';
import { ContinuousScenarios, type ContinuousScenarioOptions } from '../../../libs/scenarios/src/continuous-scenarios';
import type { TemporalSettings } from '../../../libs/platform/src/config';
import { createLogger } from '../../../libs/platform/src/logger';
import { createPgPool } from '../../../libs/platform/src/pg-pool';
import { AlertmanagerClient, PrometheusClient, type MonitoringConnection } from '../../../libs/targets/src';
import { TargetRegistryClient } from '../../../libs/targets/src/target-registry';
import { createActivities } from './activities';
import { temporalConnectionOptions } from '../../../libs/platform/src/config';
import { startTracing, WORKFLOW_TRACING_MODULE } from '../../../libs/platform/src/tracing';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { InsightOptions } from '../../../libs/insight/src';
import { WorkerMetrics } from './worker-metrics';

/** Activities a workflow task may take back eagerly: a 64-region wave's restores at once. */
export const EAGER_ACTIVITIES_PER_TASK = 64;

export interface SluiceWorkerOptions {
  temporal: TemporalSettings;
  databaseUrl: string;
  /** The Prometheus that `prometheus` and `canary` gates query (PROMETHEUS_*). */
  prometheus: MonitoringConnection;
  /** The Alertmanager that `alerts` gates ask (ALERTMANAGER_*). */
  alertmanager: MonitoringConnection;
  /** How halts are assessed (SLUICE_INSIGHT_*; defaults otherwise). */
  insight?: InsightOptions;
  /** PostgreSQL connections (PG_POOL_MAX; default 10). */
  poolSize?: number;
  /** On SIGTERM, in-flight activities get this long to finish (default 30 s). */
  shutdownGraceSeconds?: number;
  /** A workflow bundle prebuilt by `npm run bundle:workflows`; the worker bundles at start without it. */
  workflowBundlePath?: string;
  /** Port of the worker's /metrics and /healthz (0: any free port). */
  metricsPort?: number;
  /** Address they listen on (WORKER_METRICS_HOST; default 127.0.0.1, 0.0.0.0 in a container). */
  metricsHost?: string;
  /** Region endpoints allowed and denied (SLUICE_TARGET_ALLOW / SLUICE_TARGET_DENY; none by default). */
  endpointPolicy?: EndpointPolicy;
  /** Customer scenarios between rollouts (SLUICE_SCENARIO_*); off when absent. */
  continuousScenarios?: ContinuousScenarioOptions;
}

export interface SluiceWorker {
  worker: Worker;
  metrics: WorkerMetrics;
  /** Where the worker's /metrics and /healthz answer. */
  metricsUrl: string;
  /** Runs until {@link SluiceWorker.shutdown}, then releases its connections. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createSluiceWorker(options: SluiceWorkerOptions): Promise<SluiceWorker> {
  const log = createLogger('worker');
  const pool = createPgPool(options.databaseUrl, log, options.poolSize);
  const eventStore = new PgEventStore(pool, upcastEventData);
  const projections = new ProjectionRunner(new Projector(pool, eventStore), log);
  const metrics = new WorkerMetrics();
  const tracing = startTracing('sluice-worker');
  const connection = await NativeConnection.connect(temporalConnectionOptions(options.temporal));
  // every deployment target kind behind one client; closed when the worker stops (etcd
  // connections, git working clones)
  const scenarioRuns = new PgScenarioRuns(pool);
  const continuous = options.continuousScenarios
    ? new ContinuousScenarios(new PgServiceCatalog(pool), scenarioRuns, log, options.continuousScenarios)
    : undefined;
  const regions = new TargetRegistryClient();
  regions.policy = options.endpointPolicy ?? regions.policy;
  const worker = await Worker.create({
    connection,
    namespace: options.temporal.namespace,
    taskQueue: options.temporal.taskQueue,
    // The trace runs on through workflows (interceptors bundled with them) and activities.
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../../../workflows') }),
    interceptors: {
      ...(options.workflowBundlePath ? {} : { workflowModules: [WORKFLOW_TRACING_MODULE] }),
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
    shutdownGraceTime: `${options.shutdownGraceSeconds ?? 30} seconds`,
    // A rollback schedules every region's restore in one workflow task: on a server with eager
    // activity execution on, all of them come straight back here (the SDK's default is 3).
    maxEagerActivityReservationsPerWorkflowTask: EAGER_ACTIVITIES_PER_TASK,
    activities: createActivities({
      configs: new CachedConfigStore(new PgConfigStore(pool)),
      eventStore,
      regions,
      fleet: new FleetConfigs({
        catalog: new PgServiceCatalog(pool),
        readModels: new ReadModels(pool),
        configs: new PgConfigStore(pool),
      }),
      metrics: new PrometheusClient(options.prometheus),
      alerts: new AlertmanagerClient(options.alertmanager),
      scenarioRuns,
      insight: options.insight,
      onEventsAppended: (service, events) => {
        metrics.observe(service, events);
        void projections.trigger();
      },
      onRegionPushed: (push) => metrics.observePush(push),
    }),
  });
  const metricsServer = await metrics.serve(options.metricsPort ?? 0, options.metricsHost);
  return {
    worker,
    metrics,
    metricsUrl: metricsServer.url,
    async run() {
      projections.start();
      continuous?.start();
      try {
        await worker.run();
      } finally {
        await continuous?.stop();
        await metricsServer.close();
        regions.close();
        await projections.stop();
        await connection.close();
        await pool.end();
        await tracing.shutdown();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
