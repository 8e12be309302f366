import { loadRegionSimConfig } from './region-sim.config';
import { createLogger, exitOnFatal, exitOnUncaught } from '../../../libs/platform/src/logger';
import { onShutdown } from '../../../libs/platform/src/shutdown';
import { startRegionSim } from './region-sim';

const log = createLogger('region-sim');

async function main(): Promise<void> {
  const config = loadRegionSimConfig();
  const sim = await startRegionSim(config);
  log.info({ url: sim.url, regions: config.regions }, `region-sim listening on ${sim.url}`);
  onShutdown(log, () => sim.close());
}

exitOnUncaught(log);
main().catch(exitOnFatal(log, 'region-sim failed to start'));
