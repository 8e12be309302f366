import { Module } from '@nestjs/common';
import { FreezesModule } from '../freezes/freezes.module';
import { RollbackExitsResolver } from './rollback-exits.resolver';
import { RolloutController } from './rollout-controller.service';
import { RolloutHandles } from './rollout-handles';
import { RolloutReader } from './rollout-reader';
import { RolloutStarter } from './rollout-starter.service';
import { RedundancyChecker } from './redundancy-check';
import { RolloutsResolver } from './rollouts.resolver';

@Module({
  imports: [FreezesModule],
  providers: [
    RolloutReader,
    RolloutHandles,
    RolloutStarter,
    RedundancyChecker,
    RolloutController,
    RolloutsResolver,
    RollbackExitsResolver,
  ],
  exports: [RolloutReader, RolloutHandles],
})
export class RolloutsModule {}
