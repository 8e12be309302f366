import { activeFreezeHold, type EmergencyFreeze } from './freeze-window';

const window = { start: '2026-12-01T10:00:00Z', end: '2026-12-01T12:00:00Z', reason: 'quarter close' };
const freeze = (over: Partial<EmergencyFreeze> = {}): EmergencyFreeze => ({
  id: 'f1',
  service: 'checkout',
  reason: 'INC-7',
  declaredBy: 'admin',
  declaredAt: '2026-12-01T09:00:00Z',
  until: null,
  ...over,
});
const at = (iso: string) => new Date(iso);

describe('what holds a rollout (activeFreezeHold)', () => {
  it('is the freeze window covering the moment, up to its end', () => {
    expect(activeFreezeHold([window], [], 'checkout', at('2026-12-01T11:00:00Z'))).toEqual({
      kind: 'WINDOW',
      reason: 'quarter close',
      from: window.start,
      until: window.end,
    });
    expect(activeFreezeHold([window], [], 'checkout', at('2026-12-01T12:00:00Z'))).toBeNull();
  });

  it('is an emergency freeze of the service or of every service, before any window, until it ends', () => {
    const all = freeze({ id: 'all', service: null });
    expect(activeFreezeHold([window], [all], 'checkout', at('2026-12-01T11:00:00Z'))).toMatchObject({
      kind: 'EMERGENCY',
      freezeId: 'all',
      until: null,
      by: 'admin',
    });
    expect(activeFreezeHold([], [freeze({ service: 'search' })], 'checkout', at('2026-12-01T11:00:00Z'))).toBeNull();
    const ending = freeze({ until: '2026-12-01T10:30:00Z' });
    expect(activeFreezeHold([], [ending], 'checkout', at('2026-12-01T10:00:00Z'))?.kind).toBe('EMERGENCY');
    expect(activeFreezeHold([], [ending], 'checkout', at('2026-12-01T10:30:00Z'))).toBeNull();
  });
});
