import { CURRENT_EVENT_SCHEMA_VERSION, upcastEventData } from './rollout-event-upcasters';

describe('event upcasting', () => {
  it('gives a version-1 RegionConfigPushed the wave it lacked', () => {
    const v1 = { region: 'eu-west-1', version: 'v2', previousVersion: 'v1', configHash: 'h', changed: true };
    expect(upcastEventData('RegionConfigPushed', 1, v1)).toEqual({ ...v1, wave: 0 });
  });

  it('gives a version-1 RegionRolledBack a null configHash', () => {
    const v1 = { region: 'a', fromVersion: 'v2', toVersion: 'v1', outcome: 'RESTORED' };
    expect(upcastEventData('RegionRolledBack', 1, v1)).toEqual({ ...v1, configHash: null });
  });

  it('leaves current shapes and unaffected types alone', () => {
    const current = { region: 'a', wave: 3 };
    expect(upcastEventData('RegionConfigPushed', CURRENT_EVENT_SCHEMA_VERSION, current)).toBe(current);
    const other = { reason: 'x' };
    expect(upcastEventData('RolloutHalted', 1, other)).toEqual(other);
  });
});
