import { ErrorCode, SluiceError } from '../errors';
import { effectiveConfig, mergePatch, unknownConfigVariables } from './region-configs';

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
});
