// first: the instrumentations patch pg, graphql and http as they load
import '../../../libs/platform/src/instrumentation';
import { loadGatewayConfig } from './gateway.config';
import { startGateway } from './gateway';

startGateway(loadGatewayConfig()).catch((err) => {
  console.error(err);
  process.exit(1);
});
