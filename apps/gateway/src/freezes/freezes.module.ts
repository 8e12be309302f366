import { Module } from '@nestjs/common';
import { FreezeService } from './freeze.service';
import { FreezesResolver } from './freezes.resolver';

@Module({ providers: [FreezeService, FreezesResolver], exports: [FreezeService] })
export class FreezesModule {}
