import { seriesIncrease } from './canary-reads';

describe('a counter’s increase over a window, series by series', () => {
  it('adds each series’ growth', () => {
    expect(seriesIncrease({ '{i="a"}': 100, '{i="b"}': 50 }, { '{i="a"}': 130, '{i="b"}': 55 })).toBe(35);
  });

  it('counts a series lower at the end as reset: its end value', () => {
    // b's process restarted: 50 → 7 is 7 new requests, not -43, and a's growth still counts
    expect(seriesIncrease({ '{i="a"}': 100, '{i="b"}': 50 }, { '{i="a"}': 130, '{i="b"}': 7 })).toBe(37);
  });

  it('counts a series first seen at the end from zero, and one gone by the end as nothing', () => {
    expect(seriesIncrease({ '{i="a"}': 100 }, { '{i="a"}': 100, '{i="c"}': 4 })).toBe(4);
    expect(seriesIncrease({ '{i="a"}': 100, '{i="gone"}': 9 }, { '{i="a"}': 101 })).toBe(1);
  });
});
