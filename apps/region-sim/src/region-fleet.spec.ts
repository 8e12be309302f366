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
});
