import { formatSampleValue, parseSampleValue, seriesKey } from './prometheus-client';

describe('Prometheus sample values', () => {
  it('read +Inf, -Inf and NaN as Prometheus means them', () => {
    expect(parseSampleValue('+Inf')).toBe(Infinity);
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('0.25')).toBe(0.25);
    expect(parseSampleValue('1e+21')).toBe(1e21);
    expect(parseSampleValue('')).toBeNaN();
  });

  it('write them back for people and JSON', () => {
    expect([Infinity, -Infinity, NaN, 0.5].map(formatSampleValue)).toEqual(['+Inf', '-Inf', 'NaN', 0.5]);
  });
});

describe('series keys', () => {
  it('sort label names and quote values as Prometheus does', () => {
    expect(seriesKey({ region: 'eu', code: '500', __name__: 'x_total' })).toBe(
      '{__name__="x_total",code="500",region="eu"}',
    );
    expect(seriesKey({ path: 'a"b\\c\nd' })).toBe('{path="a\\"b\\\\c\\nd"}');
    expect(seriesKey({})).toBe('{}');
  });
});
