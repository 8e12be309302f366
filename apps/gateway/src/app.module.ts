import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthGuard, bearerToken } from './auth/auth.guard';
import { GraphQLModule } from '@nestjs/graphql';
import type { Logger } from '../../../libs/platform/src/logger';
import { createGraphqlErrorFormatter } from './errors/format-graphql-error';
import { GraphqlExceptionFilter } from './errors/graphql-exception.filter';
import type { GatewayConfig } from './gateway.config';
import { ExplorerController } from './explorer/explorer.controller';
import { FreezesModule } from './freezes/freezes.module';
import { HealthController } from './health/health.controller';
import { complexityLimitPlugin, depthLimitRule, nulTextPlugin } from './limits';
import { HistoryModule } from './history/history.module';
import { HooksModule } from './hooks/hooks.module';
import { InsightModule } from './insight/insight.module';
import { MetricsController } from './metrics/metrics.controller';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { RolloutsModule } from './rollouts/rollouts.module';
import { ServicesModule } from './services/services.module';
import { MeResolver } from './auth/me.resolver';
import { NotificationsModule } from './notifications/notifications.module';
import { WebController } from './web/web.controller';
import { ErrorRatesController } from './metrics/error-rates.controller';

@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forConfig(config),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          includeStacktraceInErrorResponses: false,
          formatError: createGraphqlErrorFormatter(log),
          validationRules: [depthLimitRule],
          subscriptions: {
            'graphql-ws': {
              path: '/graphql',
              // A WebSocket authenticates once, with connectionParams.authorization = "Bearer <token>";
              // an unknown token closes the socket with 4403.
              onConnect: (ctx: { connectionParams?: Record<string, unknown>; extra: unknown }) => {
                const token = bearerToken(ctx.connectionParams?.authorization as string | undefined);
                const principal = token ? config.tokens.resolve(token) : undefined;
                if (!principal) return false;
                (ctx.extra as { principal?: unknown }).principal = principal;
                return true;
              },
            },
          },
          context: ({ req, extra }: { req?: unknown; extra?: { principal?: unknown } }) => ({
            req,
            principal: extra?.principal,
          }),
          plugins: [nulTextPlugin, complexityLimitPlugin],
        }),
        ServicesModule,
        RolloutsModule,
        FreezesModule,
        HistoryModule,
        HooksModule,
        InsightModule,
        NotificationsModule,
      ],
      controllers: [HealthController, MetricsController, ExplorerController, WebController, ErrorRatesController],
      providers: [
        MeResolver,
        { provide: APP_FILTER, useClass: GraphqlExceptionFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
