import { Module } from '@nestjs/common';
import { AffectedCustomersController } from './affected-customers.controller';
import { IncidentDecisionsResolver } from './incident-decisions.resolver';
import { InsightResolver } from './insight.resolver';
import { InsightService } from './insight.service';

@Module({
  providers: [InsightService, InsightResolver, IncidentDecisionsResolver],
  controllers: [AffectedCustomersController],
})
export class InsightModule {}
