import { Module } from '@nestjs/common';
import { RolloutService } from './rollout.service';
import { RolloutsResolver } from './rollouts.resolver';

@Module({ providers: [RolloutService, RolloutsResolver] })
export class RolloutsModule {}
