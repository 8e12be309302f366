import { DEFAULT_ALERT_LABELS } from './alertmanager-payload';
import { HALT_ID_WINDOW_MS, hookAlert } from './halt-hook';

const key = (body: Parameters<typeof hookAlert>[0], at: number) => {
  const alert = hookAlert(body, DEFAULT_ALERT_LABELS, new Date(at));
  return `${alert.fingerprint}@${alert.startsAt}`;
};

describe('/hooks/halt dedupe keys', () => {
  const t0 = Date.parse('2026-12-01T10:00:00Z');
  const incident = { service: 'checkout', reason: 'synthetic checks failing', id: 'pingdom-123' };

  it('treats a repeat with the same id within the window as a duplicate', () => {
    expect(key(incident, t0 + 1_000)).toBe(key(incident, t0 + HALT_ID_WINDOW_MS - 1_000));
  });

  it('halts again for the same id after the window: a still-reported incident stops a later rollout', () => {
    expect(key(incident, t0 + 1_000)).not.toBe(key(incident, t0 + HALT_ID_WINDOW_MS + 1_000));
    expect(hookAlert(incident, DEFAULT_ALERT_LABELS, new Date(t0)).startsAt).not.toMatch(/^1970/);
  });

  it('makes every call without an id a new halt', () => {
    const anonymous = { service: 'checkout', reason: 'synthetic checks failing' };
    expect(key(anonymous, t0)).not.toBe(key(anonymous, t0 + 1));
  });

  it('labels the alert with the configured service and region labels', () => {
    const alert = hookAlert({ ...incident, region: 'eu-west-1' }, { service: 'app', region: 'zone' }, new Date(t0));
    expect(alert.labels).toMatchObject({ app: 'checkout', zone: 'eu-west-1', alertname: incident.reason });
  });
});
