import { Module } from '@nestjs/common';
import { AffectedCustomersController } from './affected-customers.controller';
import { InsightResolver } from './insight.resolver';
import { InsightService } from './insight.service';

@Module({ providers: [InsightService, InsightResolver], controllers: [AffectedCustomersController] })
export class InsightModule {}
