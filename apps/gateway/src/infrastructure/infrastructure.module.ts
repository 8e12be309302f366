import { PgScenarioRuns } from '../../../../libs/scenarios/src/scenario-runs-store';
import { Global, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Pool } from 'pg';
import { upcastEventData } from '../../../../libs/domain/src';
import { PgConfigStore } from '../../../../libs/config-store/src';
import { LiveEvents, PgEventStore } from '../../../../libs/event-store/src';
import { ProjectionRunner, Projector, ReadModels } from '../../../../libs/projections/src';
import { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import { createLogger } from '../../../../libs/platform/src/logger';
import { SerialTask } from '../../../../libs/platform/src/serial-task';
import { Registry } from 'prom-client';
import { DEFAULT_DELIVERY, HaltDelivery } from '../hooks/halt-delivery';
import { HaltIntake } from '../hooks/halt-intake';
import { HaltRequestRepository } from '../hooks/halt-request.repository';
import { IncidentDecisionRepository } from '../hooks/incident-decision.repository';
import { BLAME_TIMEOUT_MS, IncidentResponder } from '../hooks/incident-response';
import { InsightService } from '../insight/insight.service';
import { createPgPool } from '../../../../libs/platform/src/pg-pool';
import { temporalConnectionOptions } from '../../../../libs/platform/src/config';
import type { GatewayConfig } from '../gateway.config';
import {
  CONFIG_STORE,
  EVENT_STORE,
  GATEWAY_SETTINGS,
  PG_POOL,
  SCENARIO_RUNS,
  PROJECTIONS,
  READ_MODELS,
  SERVICE_CATALOG,
  TEMPORAL_CLIENT,
  TOKEN_REGISTRY,
  METRICS_REGISTRY,
  HALT_REQUESTS,
  HALT_DELIVERY,
  HALT_INTAKE,
  HALT_DISPATCHER,
  INCIDENT_ANALYZER,
  INCIDENT_DECISIONS,
  LIVE_EVENTS,
} from '../gateway.tokens';
import { IncidentAnalyzer } from '../../../../libs/insight/src';
import { PrometheusClient } from '../../../../libs/targets/src';

/** gRPC attempts per Temporal call: about 3.5 s of backoff in all. */
const GRPC_ATTEMPTS = 6;

/** The gateway's adapters: PostgreSQL (read models, catalog) and the Temporal client. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(PROJECTIONS) private readonly projections: ProjectionRunner,
    @Inject(LIVE_EVENTS) private readonly live: LiveEvents,
  ) {}

  static forConfig(config: GatewayConfig) {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: config },
        { provide: TOKEN_REGISTRY, useValue: config.tokens },
        { provide: METRICS_REGISTRY, useFactory: () => new Registry() },
        { provide: HALT_REQUESTS, inject: [PG_POOL], useFactory: (pool: Pool) => new HaltRequestRepository(pool) },
        {
          provide: INCIDENT_DECISIONS,
          inject: [PG_POOL],
          useFactory: (pool: Pool) => new IncidentDecisionRepository(pool),
        },
        {
          provide: HALT_DELIVERY,
          inject: [
            HALT_REQUESTS,
            TEMPORAL_CLIENT,
            METRICS_REGISTRY,
            PG_POOL,
            SERVICE_CATALOG,
            READ_MODELS,
            INCIDENT_ANALYZER,
            INCIDENT_DECISIONS,
          ],
          useFactory: (
            requests: HaltRequestRepository,
            temporal: Client,
            metrics: Registry,
            pool: Pool,
            catalog: PgServiceCatalog,
            readModels: ReadModels,
            analyzer: IncidentAnalyzer,
            decisions: IncidentDecisionRepository,
          ) => {
            // the policy reads the same blame as the `incident` query
            const insight = new InsightService(readModels, catalog, analyzer, config, new PgScenarioRuns(pool));
            const responder = new IncidentResponder(
              pool,
              catalog,
              insight,
              decisions,
              temporal,
              (config.haltDelivery ?? DEFAULT_DELIVERY).deadlineMs,
              BLAME_TIMEOUT_MS,
              config.alertLabels.region,
            );
            return new HaltDelivery(requests, temporal, metrics, config.haltDelivery, responder);
          },
        },
        { provide: HALT_INTAKE, useFactory: () => new HaltIntake(config.alertLabels, config.alertRegionMatch) },
        {
          provide: HALT_DISPATCHER,
          inject: [HALT_DELIVERY],
          useFactory: (delivery: HaltDelivery) =>
            new SerialTask('halt delivery', () => delivery.deliverPending(), createLogger('gateway'), 1_000),
        },
        {
          provide: PG_POOL,
          useFactory: () => createPgPool(config.databaseUrl, createLogger('gateway'), config.poolSize),
        },
        {
          provide: TEMPORAL_CLIENT,
          useFactory: async () =>
            new Client({
              connection: await Connection.connect({
                ...temporalConnectionOptions(config.temporal),
                // A caller waits a few seconds, not the SDK's default of about 20, before a
                // Temporal outage becomes SERVICE_UNAVAILABLE (halts retry through the outbox).
                interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: GRPC_ATTEMPTS }))],
              }),
              namespace: config.temporal.namespace,
              // starts and signals join the caller's trace and carry it into the workflow
              interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
            }),
        },
        {
          provide: EVENT_STORE,
          inject: [PG_POOL],
          useFactory: (pool: Pool) => new PgEventStore(pool, upcastEventData),
        },
        {
          provide: LIVE_EVENTS,
          inject: [EVENT_STORE],
          useFactory: (eventStore: PgEventStore) =>
            new LiveEvents(eventStore, config.databaseUrl, createLogger('gateway')),
        },
        { provide: CONFIG_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PgConfigStore(pool) },
        { provide: READ_MODELS, inject: [PG_POOL], useFactory: (pool: Pool) => new ReadModels(pool) },
        {
          provide: PROJECTIONS,
          inject: [PG_POOL, EVENT_STORE],
          useFactory: (pool: Pool, eventStore: PgEventStore) =>
            new ProjectionRunner(new Projector(pool, eventStore), createLogger('gateway')),
        },
        { provide: SERVICE_CATALOG, inject: [PG_POOL], useFactory: (pool: Pool) => new PgServiceCatalog(pool) },
        { provide: SCENARIO_RUNS, inject: [PG_POOL], useFactory: (pool: Pool) => new PgScenarioRuns(pool) },
        {
          provide: INCIDENT_ANALYZER,
          useFactory: () => new IncidentAnalyzer(new PrometheusClient(config.prometheus), config.insight),
        },
      ],
      exports: [
        TOKEN_REGISTRY,
        METRICS_REGISTRY,
        HALT_REQUESTS,
        HALT_DELIVERY,
        INCIDENT_DECISIONS,
        HALT_INTAKE,
        HALT_DISPATCHER,
        GATEWAY_SETTINGS,
        PG_POOL,
        TEMPORAL_CLIENT,
        EVENT_STORE,
        LIVE_EVENTS,
        CONFIG_STORE,
        SERVICE_CATALOG,
        READ_MODELS,
        PROJECTIONS,
        INCIDENT_ANALYZER,
        SCENARIO_RUNS,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.projections.start();
    // never throws: without PostgreSQL it listens once it can, and followers wait
    await this.live.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.live.stop();
    await this.projections.stop();
    await this.temporal.connection.close();
    await this.pool.end();
  }
}
