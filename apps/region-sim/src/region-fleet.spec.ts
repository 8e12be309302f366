import { RegionFleet } from './region-fleet';

describe('region fleet', () => {
  const fixedNow = () => new Date('2026-01-01T00:00:00Z');

  it('applies a new version and remembers what it replaced', () => {
    const fleet = new RegionFleet(['a'], fixedNow);
    fleet.apply('a', 'v1', { x: 1 });
    const outcome = fleet.apply('a', 'v2', { x: 2 });
    expect(outcome).toMatchObject({
      kind: 'applied',
      record: { version: 'v2', config: { x: 2 }, previousVersion: 'v1', previousConfig: { x: 1 }, applyCount: 2 },
    });
  });

  it('treats a re-push of the live version with the same content as a no-op that still reports the previous version', () => {
    const fleet = new RegionFleet(['a'], fixedNow);
    fleet.apply('a', 'v1', { x: 1 });
    fleet.apply('a', 'v2', { y: [1, 2], x: 2 });
    const again = fleet.apply('a', 'v2', { x: 2, y: [1, 2] });
    expect(again).toMatchObject({ kind: 'unchanged', record: { previousVersion: 'v1', applyCount: 2 } });
  });

  it('refuses the live version with other content', () => {
    const fleet = new RegionFleet(['a'], fixedNow);
    fleet.apply('a', 'v1', { x: 1 });
    expect(fleet.apply('a', 'v1', { x: 2 })).toMatchObject({ kind: 'conflict', record: { config: { x: 1 } } });
  });

  it('knows nothing of unknown regions', () => {
    expect(new RegionFleet(['a']).apply('zz', 'v1', {})).toBeUndefined();
  });

  describe('revisions: every accepted write takes the next one, a write on an older one changes nothing', () => {
    it('counts up on applies, idempotent re-pushes and clears alike', () => {
      const fleet = new RegionFleet(['a'], fixedNow);
      expect(fleet.get('a')!.revision).toBe(0);
      fleet.apply('a', 'v1', { x: 1 });
      fleet.apply('a', 'v1', { x: 1 });
      expect(fleet.get('a')).toMatchObject({ revision: 2, applyCount: 1 });
      expect(fleet.clear('a', 2)).toMatchObject({ kind: 'applied', record: { version: null, revision: 3 } });
    });

    it('refuses a write conditioned on a revision the region no longer has, even when its content is back', () => {
      const fleet = new RegionFleet(['a'], fixedNow);
      fleet.apply('a', 'v1', { x: 1 });
      fleet.apply('a', 'v2', { x: 2 }, 1);
      fleet.apply('a', 'v1', { x: 1 }, 2);
      expect(fleet.apply('a', 'v2', { x: 2 }, 1)).toMatchObject({
        kind: 'stale',
        record: { version: 'v1', revision: 3 },
      });
      expect(fleet.clear('a', 1)).toMatchObject({ kind: 'stale' });
      expect(fleet.get('a')).toMatchObject({ version: 'v1', revision: 3 });
    });

    it('holds the next writes until they are released', async () => {
      const fleet = new RegionFleet(['a'], fixedNow);
      fleet.setFaults('a', { holdNextPushes: 1 });
      let released = false;
      const held = fleet.holdIfAsked('a').then(() => (released = true));
      await fleet.holdIfAsked('a');
      await Promise.resolve();
      expect([released, fleet.heldCount('a')]).toEqual([false, 1]);
      expect(await fleet.releaseHeld('a')).toBe(1);
      await held;
      expect(released).toBe(true);
    });
  });
});
