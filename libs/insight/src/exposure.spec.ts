import { affectedCustomers, exposures, type ChangeFact } from './exposure';

const t = (minute: number) => new Date(Date.UTC(2026, 10, 26, 12, minute));
const change = (region: string, rolloutId: string, kind: 'PUSH' | 'ROLLBACK', minute: number, changed = true) =>
  ({ region, rolloutId, kind, changed, changedAt: t(minute) }) satisfies ChangeFact;

describe('exposures: when each region served a rollout’s change', () => {
  it('runs from the push to the rollback, to another rollout’s change, or is still open', () => {
    const result = exposures('r1', [
      change('eu', 'r1', 'PUSH', 0),
      change('us', 'r1', 'PUSH', 5),
      change('ap', 'r1', 'PUSH', 6),
      change('eu', 'r1', 'ROLLBACK', 10),
      change('us', 'r2', 'PUSH', 20),
    ]);
    expect(result).toEqual([
      { region: 'eu', from: t(0), until: t(10), endedBy: 'ROLLED_BACK' },
      { region: 'us', from: t(5), until: t(20), endedBy: 'SUPERSEDED' },
      { region: 'ap', from: t(6), until: null, endedBy: null },
    ]);
  });

  it('ignores re-pushes that changed nothing and other rollouts’ changes before ours', () => {
    expect(
      exposures('r1', [
        change('eu', 'r0', 'PUSH', 0),
        change('eu', 'r1', 'PUSH', 1, false),
        change('us', 'r2', 'PUSH', 2),
      ]),
    ).toEqual([]);
  });
});

describe('affectedCustomers', () => {
  const exposed = exposures('r1', [
    change('eu', 'r1', 'PUSH', 0),
    change('us', 'r1', 'PUSH', 1),
    change('eu', 'r1', 'ROLLBACK', 3),
  ]);
  const customers = new Map([
    ['eu', ['Zed GmbH', 'Acme, "Intl"']],
    ['us', ['Acme, "Intl"']],
  ]);

  it('lists every customer of every exposed region with its window and whether it was rolled back', () => {
    expect(affectedCustomers(exposed, customers)).toEqual([
      { customer: 'Acme, "Intl"', region: 'eu', from: t(0), until: t(3), endedBy: 'ROLLED_BACK', rolledBack: true },
      { customer: 'Acme, "Intl"', region: 'us', from: t(1), until: null, endedBy: null, rolledBack: false },
      { customer: 'Zed GmbH', region: 'eu', from: t(0), until: t(3), endedBy: 'ROLLED_BACK', rolledBack: true },
    ]);
  });
});
