import { ErrorCode, SluiceError } from '../errors';
import { effectiveConfig, mergePatch, regionConfigs, unknownConfigVariables } from './region-configs';
import { startRolloutConfigs } from './start-rollout';

describe('region configs', () => {
  const base = { database: { primary: 'db-{{region}}', pool: 10 }, name: '{{service}}', tags: ['a'] };

  it('fills {{region}} and {{service}} in every string', () => {
    expect(effectiveConfig(base, 'eu-1', 'pay')).toEqual({
      database: { primary: 'db-eu-1', pool: 10 },
      name: 'pay',
      tags: ['a'],
    });
  });

  it('merges a region override over the base as a JSON Merge Patch, then fills it in', () => {
    const overrides = { 'eu-2': { database: { primary: 'db-shared-{{region}}', pool: null }, tags: ['b'] } };
    expect(effectiveConfig(base, 'eu-2', 'pay', overrides)).toEqual({
      database: { primary: 'db-shared-eu-2' },
      name: 'pay',
      tags: ['b'],
    });
    expect(effectiveConfig(base, 'eu-1', 'pay', overrides)).toEqual(effectiveConfig(base, 'eu-1', 'pay'));
  });

  it('follows RFC 7386 for non-objects and leaves its inputs alone', () => {
    const target = { a: { b: 1 } };
    expect(mergePatch(target, { a: { c: 2 } })).toEqual({ a: { b: 1, c: 2 } });
    expect(mergePatch(target, [1])).toEqual([1]);
    expect(mergePatch('x', { a: 1 })).toEqual({ a: 1 });
    expect(target).toEqual({ a: { b: 1 } });
  });

  it('names an unknown variable, and refuses to fill it', () => {
    expect(unknownConfigVariables({ a: '{{zone}}', b: ['{{region}}'] })).toEqual(['zone']);
    expect(() => effectiveConfig({ a: '{{zone}}' }, 'eu-1', 'pay')).toThrow(SluiceError);
    expect(() => effectiveConfig({ a: '{{zone}}' }, 'eu-1', 'pay')).toThrow(
      expect.objectContaining({ code: ErrorCode.BadUserInput }),
    );
    expect(() => effectiveConfig({ a: '{{zone}}' }, 'eu-1', 'pay')).toThrow('unknown config variable {{zone}}');
  });

  describe("a rollout's per-region configs", () => {
    const regions = ['eu-1', 'eu-2', 'us-1'];
    const badInput = (message: string) => expect.objectContaining({ code: ErrorCode.BadUserInput, message });

    it('given no overrides and no template, every region gets the config as written', () => {
      expect(regionConfigs({ config: { a: '{{name}}' } }, 'pay', regions)).toBeNull();
    });

    it('given overrides, the regions named get theirs merged in and the others the base', () => {
      const configs = regionConfigs(
        {
          config: { db: { primary: 'db-a', pool: 5 } },
          regionOverrides: [{ region: 'eu-2', config: { db: { primary: 'db-b' } } }],
        },
        'pay',
        regions,
      );
      expect(Object.fromEntries(configs!)).toEqual({
        'eu-1': { db: { primary: 'db-a', pool: 5 } },
        'eu-2': { db: { primary: 'db-b', pool: 5 } },
        'us-1': { db: { primary: 'db-a', pool: 5 } },
      });
    });

    it('given a template, fills each region in, overrides included', () => {
      const configs = regionConfigs(
        {
          config: { db: 'db-{{region}}', app: '{{service}}' },
          regionOverrides: [{ region: 'us-1', config: { db: 'db-{{region}}-b' } }],
          configTemplate: true,
        },
        'pay',
        regions,
      );
      expect([...configs!.values()]).toEqual([
        { db: 'db-eu-1', app: 'pay' },
        { db: 'db-eu-2', app: 'pay' },
        { db: 'db-us-1-b', app: 'pay' },
      ]);
    });

    it('given a config that is not a template, pushes {{region}} and {{service}} text as written', () => {
      expect(regionConfigs({ config: { db: 'db-{{region}}' } }, 'pay', regions)).toBeNull();
      const configs = regionConfigs(
        { config: {}, regionOverrides: [{ region: 'eu-1', config: { n: '{{ service }}' } }] },
        'pay',
        regions,
      );
      expect(configs!.get('eu-1')).toEqual({ n: '{{ service }}' });
    });

    it('refuses every unknown variable of a template at once', () => {
      expect(() =>
        regionConfigs(
          {
            config: { a: '{{zone}}' },
            regionOverrides: [{ region: 'eu-1', config: { b: '{{rack}}' } }],
            configTemplate: true,
          },
          'pay',
          regions,
        ),
      ).toThrow(badInput('unknown config variable {{zone}}, {{rack}}: use {{region}} or {{service}}'));
    });

    it('refuses an override for a region the service does not have, or named twice', () => {
      expect(() =>
        regionConfigs({ config: {}, regionOverrides: [{ region: 'ap-1', config: {} }] }, 'pay', regions),
      ).toThrow(badInput('regionOverrides names region "ap-1", which pay does not have'));
      const twice = [
        { region: 'eu-1', config: {} },
        { region: 'eu-1', config: { a: 1 } },
      ];
      expect(() => regionConfigs({ config: {}, regionOverrides: twice }, 'pay', regions)).toThrow(
        badInput('regionOverrides names region "eu-1" twice'),
      );
    });

    it('refuses a region whose effective config is over the size limit', () => {
      const big = { blob: 'x'.repeat(200 * 1024) };
      const request = { config: big, regionOverrides: [{ region: 'eu-2', config: { more: 'y'.repeat(100 * 1024) } }] };
      expect(() => startRolloutConfigs(request, 'pay', regions)).toThrow(
        badInput('the config of region "eu-2" is over 262144 bytes as JSON'),
      );
    });
  });
});
