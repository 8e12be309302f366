// first: the instrumentations patch pg, graphql and http as they load
import '../../../libs/platform/src/instrumentation';
import { createLogger, exitOnFatal, exitOnUncaught } from '../../../libs/platform/src/logger';
import { loadGatewayConfig } from './gateway.config';
import { startGateway } from './gateway';

async function main(): Promise<void> {
  await startGateway(loadGatewayConfig());
}

const log = createLogger('gateway');
exitOnUncaught(log);
main().catch(exitOnFatal(log, 'gateway failed to start'));
