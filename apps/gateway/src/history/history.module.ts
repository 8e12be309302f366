import { Module } from '@nestjs/common';
import { HistoryResolver } from './history.resolver';
import { HistoryService } from './history.service';
import { RolloutEventsSubscription } from './rollout-events.subscription';

@Module({ providers: [HistoryService, HistoryResolver, RolloutEventsSubscription], exports: [HistoryService] })
export class HistoryModule {}
