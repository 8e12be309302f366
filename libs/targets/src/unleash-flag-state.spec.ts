import { ErrorCode } from '../../domain/src';
import { markedStrategies, stateOf, wantedState } from './unleash-flag-state';

const region = 'unleash http://u flag f in eu-1';
const rollout = { name: 'flexibleRollout', parameters: { rollout: '25', stickiness: 'default', groupId: 'f' } };

describe('an Unleash flag state as a Sluice config', () => {
  it('a pushed version is the title of every strategy, and reads back as that version with the titles left out', () => {
    const wanted = wantedState(region, 'v7', { enabled: true, strategies: [rollout] });
    const written = markedStrategies(wanted, 'v7');
    expect(written).toEqual([{ ...rollout, title: 'sluice:v7' }]);
    const read = stateOf(
      region,
      { enabled: true, strategies: written.map((s) => ({ ...s, id: 'a', sortOrder: 0 })) },
      3,
    );
    expect(read).toMatchObject({
      region,
      version: 'v7',
      config: { enabled: true, strategies: [rollout] },
      revision: 3,
    });
  });

  it('a state Sluice did not write reads as its content hash, titles kept, and its restore writes it as it was', () => {
    const hand = { ...rollout, title: 'by hand' };
    const read = stateOf(region, { enabled: false, strategies: [{ ...hand, constraints: [], variants: [] }] }, 1);
    expect(read.version).toMatch(/^unleash-[0-9a-f]{12}$/);
    expect(read.config).toEqual({ enabled: false, strategies: [hand] });
    const wanted = wantedState(region, read.version!, read.config!);
    expect(markedStrategies(wanted, read.version!)).toEqual([hand]);
  });

  it('off with no strategy is nothing there', () => {
    expect(stateOf(region, { enabled: false, strategies: [] }, 2)).toEqual({
      region,
      version: null,
      config: null,
      configHash: null,
      revision: 2,
    });
    expect(stateOf(region, null, 0).version).toBeNull();
  });

  it.each([
    [{ enabled: true }, /not a flag state \{ enabled, strategies \}: strategies/],
    [{ enabled: true, strategies: [] }, /at least one strategy/],
    [{ enabled: true, strategies: [{ ...rollout, disabled: true }] }, /needs a strategy that is not disabled/],
    [{ enabled: true, strategies: [{ ...rollout, constraints: [] }] }, /in the form Unleash returns it/],
  ])('refuses %j as REGION_REJECTED_PUSH naming the region and the problem', (config, message) => {
    expect(() => wantedState(region, 'v1', config)).toThrow(
      expect.objectContaining({ code: ErrorCode.RegionRejectedPush, message: expect.stringMatching(message) }),
    );
    expect(() => wantedState(region, 'v1', config)).toThrow(region);
  });
});
