import type { RolloutEvent } from './rollout.events';
import { summarizeRollout } from './rollout-status';

const requested: RolloutEvent = {
  type: 'RolloutRequested',
  data: {
    rolloutId: 'r1',
    service: 'checkout',
    version: 'v2',
    requestedBy: 'alice',
    requestedAt: '2026-01-01T00:00:00Z',
    regions: ['a', 'b'],
  },
};
const pushed = (region: string): RolloutEvent => ({
  type: 'RegionConfigPushed',
  data: { region, version: 'v2', previousVersion: 'v1', configHash: 'h', changed: true },
});

describe('rollout summary', () => {
  it('is PENDING before anything is recorded', () => {
    expect(summarizeRollout([]).status).toBe('PENDING');
  });

  it('given a request and pushes, is ROLLING with the pushed regions in order', () => {
    expect(summarizeRollout([requested, pushed('b'), pushed('a')])).toEqual({
      status: 'ROLLING',
      service: 'checkout',
      version: 'v2',
      requestedBy: 'alice',
      pushedRegions: ['b', 'a'],
    });
  });

  it('ends SUCCEEDED or FAILED on the closing event', () => {
    const done = summarizeRollout([
      requested,
      pushed('a'),
      { type: 'RolloutSucceeded', data: { version: 'v2', regions: ['a'] } },
    ]);
    expect(done.status).toBe('SUCCEEDED');
    const failed = summarizeRollout([
      requested,
      { type: 'RolloutFailed', data: { reason: 'boom', code: 'REGION_UNREACHABLE' } },
    ]);
    expect(failed.status).toBe('FAILED');
  });
});
