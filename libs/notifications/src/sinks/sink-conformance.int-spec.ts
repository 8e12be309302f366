import { CHANNEL_KINDS, parseChannelSpec, type ChannelKind, type Notification } from '../../../domain/src';
import { HttpReceiver } from '../../../../test/support/http-receiver';
import { requestFor, send, SendError, SINKS } from '.';

/**
 * What every notification sink must do, run for each registered kind against a real HTTP
 * receiver on loopback: one POST to the channel's URL carrying the rollout's page, failures
 * sorted into retryable and permanent, and no secret in any message.
 */
const notification: Notification = {
  eventId: '0b6f2c1e-7d3a-4f7e-9a51-3c2d1e0f9a8b',
  trigger: 'HALTED',
  severity: 'warning',
  rolloutId: 'r-conformance',
  service: 'checkout',
  version: 'v9',
  time: '2026-12-03T09:00:00.000Z',
  summary: 'checkout v9 halted: error rate',
  reason: 'error rate',
};
const SECRET_PATH = '/services/T0/B0/very-secret-path';
const env = (receiver: HttpReceiver) => ({
  SLUICE_SECRET_URL: `${receiver.url}${SECRET_PATH}`,
  SLUICE_SECRET_KEY: 'conformance-signing-key',
  SLUICE_SECRET_TOKEN: 'glsa_conformance_token',
});
const channel = (kind: ChannelKind, receiver: HttpReceiver) =>
  parseChannelSpec({
    name: `conformance-${kind}`,
    kind,
    ...(kind === 'slack' ? { urlFrom: { env: 'SLUICE_SECRET_URL' } } : { url: receiver.url }),
    ...(kind === 'webhook' ? { signingSecretFrom: { env: 'SLUICE_SECRET_KEY' } } : {}),
    ...(kind === 'grafana' ? { tokenFrom: { env: 'SLUICE_SECRET_TOKEN' } } : {}),
  });

describe.each(CHANNEL_KINDS)('the %s sink', (kind) => {
  const receiver = new HttpReceiver();
  const secrets = () => Object.values(env(receiver)).map((v) => v.replace(receiver.url, ''));
  const attempt = async () => {
    try {
      await send(requestFor(notification, channel(kind, receiver), 'https://sluice.example.com', env(receiver)), 500);
      return null;
    } catch (err) {
      expect(err).toBeInstanceOf(SendError);
      for (const secret of secrets()) expect((err as Error).message).not.toContain(secret);
      return err as SendError;
    }
  };

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.answer = () => 200;
    receiver.delayMs = 0;
    receiver.refuseConnections = false;
  });

  it('is registered for its kind', () => {
    expect(SINKS[kind].kind).toBe(kind);
  });

  it("POSTs one request to the channel's URL, carrying the event and the rollout's page", async () => {
    expect(await attempt()).toBeNull();
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.method).toBe('POST');
    expect(request.path.startsWith(kind === 'slack' ? SECRET_PATH : '/')).toBe(true);
    expect(request.headers['content-type']).toMatch(/json/);
    expect(() => JSON.parse(request.body)).not.toThrow();
    expect(request.body).toContain('https://sluice.example.com/ui/rollouts/r-conformance');
    expect(request.body).toContain('checkout v9 halted: error rate');
  });

  it('sorts failures: 5xx, 429, no answer and a receiver that is down are retried; other 4xx are not', async () => {
    for (const [status, permanent] of [
      [503, false],
      [429, false],
      [400, true],
      [404, true],
    ] as const) {
      receiver.answer = () => status;
      const error = await attempt();
      expect({ status, permanent: error?.permanent }).toEqual({ status, permanent });
      expect(error?.message).toContain(`answered ${status}`);
    }
    receiver.answer = () => 200;
    receiver.delayMs = 1_500;
    expect(await attempt()).toMatchObject({
      permanent: false,
      message: expect.stringContaining('no answer within 500 ms'),
    });
    receiver.delayMs = 0;
    receiver.refuseConnections = true;
    expect((await attempt())?.permanent).toBe(false);
  });

  it('fails, retryably, naming the reference, when a secret it needs is not set', () => {
    const spec = channel(kind, receiver);
    const needs = { webhook: 'SLUICE_SECRET_KEY', slack: 'SLUICE_SECRET_URL', grafana: 'SLUICE_SECRET_TOKEN' }[kind];
    const without = Object.fromEntries(Object.entries(env(receiver)).filter(([k]) => k !== needs));
    expect(() => requestFor(notification, spec, 'https://sluice.example.com', without)).toThrow(
      new SendError(`secret reference env ${needs} is not set`),
    );
  });
});
