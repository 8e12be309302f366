import { ConfigError } from '../../../libs/platform/src/config';
import { loadRegionSimConfig } from './region-sim.config';

describe('region-sim configuration', () => {
  const regions = { REGION_SIM_REGIONS: 'eu-west-1,us-east-1' };

  it('reads each region’s natural error rate', () => {
    const config = loadRegionSimConfig({ ...regions, REGION_SIM_BASE_ERROR_RATES: 'eu-west-1=0.0025, us-east-1=0.01' });
    expect(config.baseErrorRates).toEqual({ 'eu-west-1': 0.0025, 'us-east-1': 0.01 });
    expect(loadRegionSimConfig(regions).baseErrorRates).toEqual({});
  });

  it.each([['eu-west-1=2'], ['eu-west-1'], ['eu-west-1=x'], ['eu-west-1=0.1=2']])(
    'refuses %s with a message that shows the expected form',
    (value) => {
      expect(() => loadRegionSimConfig({ ...regions, REGION_SIM_BASE_ERROR_RATES: value })).toThrow(
        /REGION_SIM_BASE_ERROR_RATES: .* must be region=rate with a rate from 0 to 1/,
      );
    },
  );

  it('refuses rates for regions the simulator does not have', () => {
    const load = () => loadRegionSimConfig({ ...regions, REGION_SIM_BASE_ERROR_RATES: 'ap-south-1=0.01' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/ap-south-1/);
  });
});
