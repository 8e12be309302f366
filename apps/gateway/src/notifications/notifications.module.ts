import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { PgEventStore } from '../../../../libs/event-store/src';
import { NotificationStore, Notifier } from '../../../../libs/notifications/src';
import { createLogger } from '../../../../libs/platform/src/logger';
import { SerialTask } from '../../../../libs/platform/src/serial-task';
import type { GatewayConfig } from '../gateway.config';
import { EVENT_STORE, GATEWAY_SETTINGS, METRICS_REGISTRY, NOTIFICATION_STORE, PG_POOL } from '../gateway.tokens';
import { NotificationsResolver } from './notifications.resolver';

const NOTIFIER = Symbol('NOTIFIER');
const NOTIFIER_LOOP = Symbol('NOTIFIER_LOOP');

/** Notifications: channels (file and API) and the notifier loop, once a second on every gateway. */
@Module({
  providers: [
    NotificationsResolver,
    {
      provide: NOTIFICATION_STORE,
      inject: [PG_POOL, EVENT_STORE],
      useFactory: (pool: Pool, events: PgEventStore) => new NotificationStore(pool, events),
    },
    {
      provide: NOTIFIER,
      inject: [NOTIFICATION_STORE, GATEWAY_SETTINGS, METRICS_REGISTRY],
      useFactory: (store: NotificationStore, config: GatewayConfig, metrics: Registry) =>
        new Notifier(
          store,
          config.notifications.publicUrl ?? `http://${config.host}:${config.port}`,
          createLogger('notifier'),
          metrics,
          config.notifications.policy,
          process.env,
          config.endpointPolicy,
        ),
    },
    {
      provide: NOTIFIER_LOOP,
      inject: [NOTIFIER],
      useFactory: (notifier: Notifier) =>
        new SerialTask('notifications', () => notifier.run(), createLogger('notifier')),
    },
  ],
})
export class NotificationsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(NOTIFIER) private readonly notifier: Notifier,
    @Inject(NOTIFIER_LOOP) private readonly loop: SerialTask,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.notifier.drain();
  }
}
