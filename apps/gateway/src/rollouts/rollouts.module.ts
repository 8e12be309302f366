import { Module } from '@nestjs/common';
import { RolloutController } from './rollout-controller.service';
import { RolloutHandles } from './rollout-handles';
import { RolloutReader } from './rollout-reader';
import { RolloutStarter } from './rollout-starter.service';
import { RolloutsResolver } from './rollouts.resolver';

@Module({
  providers: [RolloutReader, RolloutHandles, RolloutStarter, RolloutController, RolloutsResolver],
  exports: [RolloutReader, RolloutHandles],
})
export class RolloutsModule {}
