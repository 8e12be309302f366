import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { SerialTask } from '../../../../libs/platform/src/serial-task';
import { HALT_DELIVERY, HALT_DISPATCHER } from '../gateway.tokens';
import type { HaltDelivery } from './halt-delivery';
import { AlertmanagerController } from './alertmanager.controller';

@Module({ controllers: [AlertmanagerController] })
export class HooksModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(HALT_DISPATCHER) private readonly dispatcher: SerialTask,
    @Inject(HALT_DELIVERY) private readonly delivery: HaltDelivery,
  ) {}

  /** Also delivers what a previous gateway committed but did not get to deliver. */
  onApplicationBootstrap(): void {
    this.dispatcher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    await this.delivery.drain();
  }
}
