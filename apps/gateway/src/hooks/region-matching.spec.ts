import { matchRegion } from './region-matching';

const REGIONS = ['eu-west-1', 'us-east-1', 'europe-west1'];

describe('matching an alert’s region label to a service region', () => {
  it('exact: only the region’s own name matches', () => {
    expect(matchRegion('eu-west-1', REGIONS, 'exact')).toBe('eu-west-1');
    expect(matchRegion('eu-west-1a', REGIONS, 'exact')).toBeUndefined();
    expect(matchRegion('EU-WEST-1', REGIONS, 'exact')).toBeUndefined();
  });

  it('zone: a zone letter after the region, with or without a dash, matches its region', () => {
    expect(matchRegion('eu-west-1a', REGIONS, 'zone')).toBe('eu-west-1');
    expect(matchRegion('europe-west1-b', REGIONS, 'zone')).toBe('europe-west1');
    expect(matchRegion('us-east-1', REGIONS, 'zone')).toBe('us-east-1');
  });

  it('zone: never a longer region name, a second letter or an unknown region', () => {
    expect(matchRegion('eu-west-10', REGIONS, 'zone')).toBeUndefined();
    expect(matchRegion('eu-west-1ab', REGIONS, 'zone')).toBeUndefined();
    expect(matchRegion('eu-west-1-az1', REGIONS, 'zone')).toBeUndefined();
    expect(matchRegion('ap-south-1a', REGIONS, 'zone')).toBeUndefined();
  });
});
