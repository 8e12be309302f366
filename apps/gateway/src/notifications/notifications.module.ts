import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { PgEventStore } from '../../../../libs/event-store/src';
import { ChannelStore, NotificationStore, Notifier } from '../../../../libs/notifications/src';
import { createLogger } from '../../../../libs/platform/src/logger';
import { SerialTask } from '../../../../libs/platform/src/serial-task';
import type { GatewayConfig } from '../gateway.config';
import {
  CHANNEL_STORE,
  EVENT_STORE,
  GATEWAY_SETTINGS,
  METRICS_REGISTRY,
  NOTIFICATION_STORE,
  PG_POOL,
} from '../gateway.tokens';
import { NotificationsResolver } from './notifications.resolver';

const NOTIFIER = Symbol('NOTIFIER');
const NOTIFIER_LOOP = Symbol('NOTIFIER_LOOP');

/** Notifications: channels (file and API) and the notifier loop, once a second on every gateway. */
@Module({
  providers: [
    NotificationsResolver,
    { provide: CHANNEL_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new ChannelStore(pool) },
    {
      provide: NOTIFICATION_STORE,
      inject: [PG_POOL, EVENT_STORE],
      useFactory: (pool: Pool, events: PgEventStore) => new NotificationStore(pool, events),
    },
    {
      provide: NOTIFIER,
      inject: [NOTIFICATION_STORE, CHANNEL_STORE, GATEWAY_SETTINGS, METRICS_REGISTRY],
      useFactory: (store: NotificationStore, channels: ChannelStore, config: GatewayConfig, metrics: Registry) =>
        new Notifier(
          store,
          channels,
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
      inject: [CHANNEL_STORE, NOTIFIER, GATEWAY_SETTINGS],
      useFactory: (channels: ChannelStore, notifier: Notifier, config: GatewayConfig) => {
        const log = createLogger('notifier');
        const fileChannels = config.notifications.fileChannels;
        // The file's channels first, retried each round until PostgreSQL takes them; nothing
        // is queued meanwhile, so a channel the file dropped or changed hears nothing more.
        let fileApplied = fileChannels === null;
        return new SerialTask(
          'notifications',
          async () => {
            if (!fileApplied) {
              const { written, deleted } = await channels.syncFile(fileChannels ?? []);
              log.info({ written, deleted }, 'notification channels from the file');
              fileApplied = true;
            }
            await notifier.run();
          },
          log,
        );
      },
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
