import { loadGatewayConfig } from './gateway.config';
import { startGateway } from './gateway';

startGateway(loadGatewayConfig()).catch((err) => {
  console.error(err);
  process.exit(1);
});
