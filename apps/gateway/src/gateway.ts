import helmet from 'helmet';
import { startTracing } from '../../../libs/platform/src/tracing';
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../../libs/platform/src/logger';
import { AppModule } from './app.module';
import type { GatewayConfig } from './gateway.config';
import { bodyErrorHandler, MAX_REQUEST_BODY } from './limits';
import { accessLog } from './logging/access-log';
import { PinoNestLogger } from './logging/pino-nest-logger';

export interface Gateway {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * Helmet's defaults (nosniff, frame-ancestors, HSTS, no x-powered-by, …) with a policy the
 * explorer page works under: its scripts are files of this origin, only styles are inline.
 */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
};

export async function startGateway(config: GatewayConfig): Promise<Gateway> {
  const log = createLogger('gateway');
  const tracing = startTracing('sluice-gateway');
  // Nest's lines wait for its pino logger, so even the first bootstrap line is JSON.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forConfig(config, log), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(new PinoNestLogger(log));
  app.use(accessLog(log, { lines: config.accessLog ?? false }));
  app.use(helmet({ contentSecurityPolicy: { directives: CONTENT_SECURITY_POLICY } }));
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    });
  }
  app.useBodyParser('json', { limit: MAX_REQUEST_BODY });
  app.use(bodyErrorHandler);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  log.info({ url: `${url}/graphql` }, `gateway listening on ${url}/graphql`);
  return {
    app,
    url,
    close: async () => {
      await app.close();
      await tracing.shutdown();
    },
  };
}
