import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../../libs/platform/src/logger';
import { AppModule } from './app.module';
import type { GatewayConfig } from './gateway.config';
import { bodyErrorHandler, MAX_REQUEST_BODY } from './limits';

export interface Gateway {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function startGateway(config: GatewayConfig): Promise<Gateway> {
  const log = createLogger('gateway');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forConfig(config, log), {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: MAX_REQUEST_BODY });
  app.use(bodyErrorHandler);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  log.info({ url: `${url}/graphql` }, `gateway listening on ${url}/graphql`);
  return { app, url, close: () => app.close() };
}
