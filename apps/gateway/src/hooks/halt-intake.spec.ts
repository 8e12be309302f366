import type { Alert } from './alertmanager-payload';
import { DEFAULT_ALERT_LABELS } from './alertmanager-payload';
import { HALT_ID_WINDOW_MS } from './halt-hook';
import { HaltIntake, type RegionsOf } from './halt-intake';

const exact = new HaltIntake(DEFAULT_ALERT_LABELS, 'exact');
const zones = new HaltIntake(DEFAULT_ALERT_LABELS, 'zone');
const regionsOf: RegionsOf = async (service) => (service === 'checkout' ? ['eu-west-1', 'us-east-1'] : undefined);

const alert = (labels: Record<string, string>, status: Alert['status'] = 'firing'): Alert => ({
  status,
  labels: { alertname: 'HighErrorRate', ...labels },
  annotations: {},
  startsAt: '2026-12-01T10:00:00Z',
  generatorURL: '',
  fingerprint: Object.values(labels).join('/'),
});

describe('/hooks/halt dedupe keys', () => {
  const t0 = Date.parse('2026-12-01T10:00:00Z');
  const incident = { service: 'checkout', reason: 'synthetic checks failing', id: 'pingdom-123' };
  const key = async (body: typeof incident | Omit<typeof incident, 'id'>, at: number) => {
    const [request] = (await exact.fromHook(body, 'pingdom', new Date(at))).requests;
    return `${request.dedupeKey}@${request.startsAt.toISOString()}`;
  };

  it('treats a repeat with the same id within the window as a duplicate', async () => {
    expect(await key(incident, t0 + 1_000)).toBe(await key(incident, t0 + HALT_ID_WINDOW_MS - 1_000));
  });

  it('halts again for the same id after the window: a still-reported incident stops a later rollout', async () => {
    expect(await key(incident, t0 + 1_000)).not.toBe(await key(incident, t0 + HALT_ID_WINDOW_MS + 1_000));
    expect(await key(incident, t0)).not.toMatch(/@1970/);
  });

  it('makes every call without an id a new halt', async () => {
    const anonymous = { service: 'checkout', reason: 'synthetic checks failing' };
    expect(await key(anonymous, t0)).not.toBe(await key(anonymous, t0 + 1));
  });

  it('keeps a hook as a hook request with its reason, not a forged alert', async () => {
    const [request] = (await exact.fromHook({ ...incident, region: 'eu-west-1' }, 'pingdom', new Date(t0))).requests;
    expect(request).toMatchObject({ source: 'hook', reason: incident.reason, region: 'eu-west-1', alert: null });
  });
});

describe('matching alerts to the catalog', () => {
  it('reports an unknown service and an unknown region as UNMATCHED, and ignores resolved alerts', async () => {
    const intake = await exact.fromAlerts(
      [
        alert({ service: 'checkout', region: 'eu-west-1' }),
        alert({ service: 'checkout', region: 'eu-west-1a' }),
        alert({ service: 'billing', region: 'eu-west-1' }),
        alert({ service: 'checkout' }),
        alert({ service: 'checkout', region: 'eu-west-1' }, 'resolved'),
        alert({ region: 'eu-west-1' }),
      ],
      'alertmanager',
      regionsOf,
    );
    expect(intake.ignored).toBe(2);
    expect(intake.unmatched).toEqual([
      { fingerprint: 'checkout/eu-west-1a', service: 'checkout', region: 'eu-west-1a', why: 'UNKNOWN_REGION' },
      { fingerprint: 'billing/eu-west-1', service: 'billing', region: 'eu-west-1', why: 'UNKNOWN_SERVICE' },
    ]);
    expect(intake.requests.map((r) => r.outcome ?? 'QUEUED')).toEqual(['QUEUED', 'UNMATCHED', 'UNMATCHED', 'QUEUED']);
  });

  it('with zone matching, ties eu-west-1a to eu-west-1 and keeps the label it came with', async () => {
    const intake = await zones.fromAlerts([alert({ service: 'checkout', region: 'eu-west-1a' })], 'am', regionsOf);
    expect(intake.unmatched).toEqual([]);
    expect(intake.requests[0]).toMatchObject({ region: 'eu-west-1', alertRegion: 'eu-west-1a' });
  });

  it('without the catalog (PostgreSQL down), takes labels as they are', async () => {
    const intake = await exact.fromAlerts([alert({ service: 'billing', region: 'eu-west-1a' })], 'am');
    expect(intake.unmatched).toEqual([]);
    expect(intake.requests[0]).toMatchObject({ service: 'billing', region: 'eu-west-1a' });
  });
});

describe('resolved alerts', () => {
  it('are ignored as halts and listed by fingerprint, service and start, so the policy’s pauses can be lifted', async () => {
    const intake = await exact.fromAlerts(
      [
        alert({ service: 'checkout', region: 'eu-west-1' }, 'resolved'),
        alert({ region: 'eu-west-1' }, 'resolved'),
        alert({ service: 'checkout', region: 'us-east-1' }),
      ],
      'alertmanager',
      regionsOf,
    );
    expect(intake.ignored).toBe(2);
    expect(intake.requests.map((r) => r.region)).toEqual(['us-east-1']);
    expect(intake.resolved).toEqual([
      { fingerprint: 'checkout/eu-west-1', service: 'checkout', startsAt: new Date('2026-12-01T10:00:00Z') },
    ]);
  });
});
