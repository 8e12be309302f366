import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { PgEventStore } from '../../../../libs/event-store/src';
import { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import { createLogger } from '../../../../libs/platform/src/logger';
import { createPgPool } from '../../../../libs/platform/src/pg-pool';
import type { GatewayConfig } from '../gateway.config';
import { EVENT_STORE, GATEWAY_SETTINGS, PG_POOL, SERVICE_CATALOG, TEMPORAL_CLIENT } from '../gateway.tokens';

/** The gateway's adapters: PostgreSQL (read models, catalog) and the Temporal client. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  static forConfig(config: GatewayConfig) {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: config },
        { provide: PG_POOL, useFactory: () => createPgPool(config.databaseUrl, createLogger('gateway')) },
        {
          provide: TEMPORAL_CLIENT,
          useFactory: async () =>
            new Client({
              connection: await Connection.connect({ address: config.temporal.address }),
              namespace: config.temporal.namespace,
            }),
        },
        { provide: EVENT_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PgEventStore(pool) },
        { provide: SERVICE_CATALOG, inject: [PG_POOL], useFactory: (pool: Pool) => new PgServiceCatalog(pool) },
      ],
      exports: [GATEWAY_SETTINGS, PG_POOL, TEMPORAL_CLIENT, EVENT_STORE, SERVICE_CATALOG],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.temporal.connection.close();
    await this.pool.end();
  }
}
