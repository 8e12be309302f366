import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { signature } from '../../libs/notifications/src';
import { startAppStack, type AppStack } from '../support/app-stack';
import { readUntil } from '../support/eventually';
import { registerService, startRollout, waitForApproval, waitForRollout } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { HttpReceiver } from '../support/http-receiver';

/**
 * Notifications on the whole stack: channels set through GraphQL, a rollout that asks for
 * approval and is halted, and what real HTTP receivers (a CloudEvents webhook, Slack,
 * Grafana) are sent, exactly.
 */
const REGIONS = ['nt-canary', 'nt-west', 'nt-east'];
const SERVICE = `notified-${Date.now().toString(36)}`;

describe('notifications', () => {
  let stack: AppStack;
  const hooks = new HttpReceiver();
  const slack = new HttpReceiver();
  const grafana = new HttpReceiver();
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'sluice-notify-')), 'grafana-token');

  const set = (input: Record<string, unknown>, as = 'admin') =>
    graphql<{ setNotificationChannel: { name: string; managedBy: string } }>(
      stack.gateway.url,
      'mutation ($input: NotificationChannelInput!) { setNotificationChannel(input: $input) { name managedBy } }',
      { input },
      as,
    );

  beforeAll(async () => {
    await Promise.all([hooks.start(), slack.start(), grafana.start()]);
    writeFileSync(tokenFile, 'glsa_spec_token\n');
    process.env.SLUICE_SECRET_SPEC_HOOK_KEY = 'spec-hmac-key';
    process.env.SLUICE_SECRET_SPEC_SLACK_URL = `${slack.url}/services/T0/B0/secret`;
    process.env.SLUICE_SECRETS_DIR = dirname(tokenFile);
    stack = await startAppStack({
      regions: REGIONS,
      notifications: {
        publicUrl: 'https://sluice.example.com',
        policy: { maxAttempts: 5, maxBackoffSeconds: 1, timeoutMs: 2_000, concurrency: 8 },
      },
    });
    await registerService(stack, SERVICE, REGIONS);
  });
  afterAll(async () => {
    // The channels live in the suite's shared database: left there, every later spec's
    // notifier would keep sending to these receivers once they are gone.
    if (stack) {
      const listed = await graphql<{ notificationChannels: Array<{ name: string }> }>(
        stack.gateway.url,
        '{ notificationChannels { name } }',
        {},
        'admin',
      );
      for (const { name } of listed.data?.notificationChannels ?? []) {
        await graphql(
          stack.gateway.url,
          'mutation ($name: String!) { deleteNotificationChannel(name: $name) }',
          { name },
          'admin',
        );
      }
    }
    await stack?.stop();
    await Promise.all([hooks.stop(), slack.stop(), grafana.stop()]);
  });

  it('refuses a channel whose secret the gateway cannot resolve, or set by a non-admin, and stores nothing', async () => {
    const missing = await set({
      name: 'broken',
      kind: 'WEBHOOK',
      url: hooks.url,
      signingSecretFrom: { env: 'SLUICE_SECRET_NOT_SET_ANYWHERE' },
    });
    expect(missing.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [
        { field: 'signingSecretFrom', message: 'secret reference env SLUICE_SECRET_NOT_SET_ANYWHERE is not set' },
      ],
    });
    const byValue = await set({ name: 'inline', kind: 'WEBHOOK', url: hooks.url });
    expect(byValue.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'signingSecretFrom' }],
    });
    const metadata = await set({
      name: 'metadata',
      kind: 'GRAFANA',
      url: 'http://169.254.169.254/latest',
      tokenFrom: { file: tokenFile },
    });
    expect(metadata.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'url', message: '169.254.169.254 is a link-local or cloud metadata address, never a region' }],
    });
    const viewer = await set({ name: 'v', kind: 'SLACK', urlFrom: { env: 'SLUICE_SECRET_SPEC_SLACK_URL' } }, 'viewer');
    expect(viewer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const list = await graphql<{ notificationChannels: unknown[] }>(
      stack.gateway.url,
      '{ notificationChannels { name } }',
    );
    expect(list.data?.notificationChannels).toEqual([]);
  });

  it('tells the webhook, Slack and Grafana what happened, each in its own format', async () => {
    for (const input of [
      {
        name: 'hooks',
        kind: 'WEBHOOK',
        url: `${hooks.url}/sluice`,
        signingSecretFrom: { env: 'SLUICE_SECRET_SPEC_HOOK_KEY' },
        services: [SERVICE],
      },
      { name: 'team-slack', kind: 'SLACK', urlFrom: { env: 'SLUICE_SECRET_SPEC_SLACK_URL' }, minSeverity: 'WARNING' },
      { name: 'grafana', kind: 'GRAFANA', url: grafana.url, tokenFrom: { file: tokenFile }, dashboardUid: 'slo' },
    ]) {
      const res = await set(input);
      expect(res.errors).toBeUndefined();
      expect(res.data?.setNotificationChannel).toEqual({ name: input.name, managedBy: 'API' });
    }

    const id = await startRollout(stack, {
      service: SERVICE,
      version: 'v2',
      config: { limit: 2 },
      strategy: { canaryMaxShare: 0.34, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: true },
    });
    await waitForApproval(stack, id);
    const halted = await graphql<{ haltRollout: { outcome: string } }>(
      stack.gateway.url,
      `mutation { haltRollout(id: "${id}", reason: "error budget burn") { outcome } }`,
      {},
      'carol',
    );
    expect(halted.data?.haltRollout.outcome).toBe('HALTED');
    await waitForRollout(stack, id, ['ROLLED_BACK']);
    await readUntil(
      async () => [hooks.accepted.length, slack.accepted.length, grafana.accepted.length],
      ([h, s, g]) => h >= 3 && s >= 2 && g >= 2,
      { what: 'every channel to be told', timeoutMs: 30_000 },
    );

    // the webhook: CloudEvents, signed, one per trigger, in order
    const events = hooks.accepted.map((r) => {
      expect(r.path).toBe('/sluice');
      expect(r.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      expect(r.headers['x-sluice-signature-256']).toBe(signature('spec-hmac-key', r.body));
      return JSON.parse(r.body);
    });
    expect(events.map((e) => e.type)).toEqual([
      'dev.sluice.rollout.approval_requested',
      'dev.sluice.rollout.halted',
      'dev.sluice.rollout.rolled_back',
    ]);
    const { rows } = await stack.pool.query<{ event_id: string; type: string }>(
      `SELECT event_id, type FROM events WHERE stream_id = $1 AND type = ANY($2) ORDER BY global_position`,
      [id, ['ApprovalRequested', 'RolloutHalted', 'RolloutRolledBack']],
    );
    expect(events.map((e) => e.id)).toEqual(rows.map((r) => r.event_id));
    expect(events[1]).toEqual({
      specversion: '1.0',
      id: rows[1].event_id,
      source: `/sluice/services/${SERVICE}`,
      type: 'dev.sluice.rollout.halted',
      subject: id,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      datacontenttype: 'application/json',
      severity: 'warning',
      data: {
        eventId: rows[1].event_id,
        trigger: 'HALTED',
        severity: 'warning',
        rolloutId: id,
        service: SERVICE,
        version: 'v2',
        time: events[1].time,
        summary: `${SERVICE} v2 halted: error budget burn`,
        reason: 'error budget burn',
        url: `https://sluice.example.com/ui/rollouts/${id}`,
      },
    });

    // Slack: warning and up only (no approval request), Block Kit with the rollout's page
    expect(slack.accepted.map((r) => r.path)).toEqual(['/services/T0/B0/secret', '/services/T0/B0/secret']);
    const messages = slack.accepted.map((r) => JSON.parse(r.body));
    expect(messages.map((m) => m.text)).toEqual([
      `:octagonal_sign: Rollout halted: ${SERVICE} v2 halted: error budget burn`,
      expect.stringMatching(new RegExp(`^:rewind: Rolled back: ${SERVICE} v2 rolled back in 1 region`)),
    ]);
    expect(messages[0].blocks[2].elements[0].url).toBe(`https://sluice.example.com/ui/rollouts/${id}`);

    // Grafana: the canary's push and its rollback, as annotations on the dashboard
    for (const r of grafana.accepted) {
      expect(r.path).toBe('/api/annotations');
      expect(r.headers.authorization).toBe('Bearer glsa_spec_token');
    }
    const annotations = grafana.accepted.map((r) => JSON.parse(r.body));
    expect(annotations.map((a) => a.tags)).toEqual([
      ['sluice', `service:${SERVICE}`, 'region:nt-canary', 'version:v2', 'region_pushed'],
      ['sluice', `service:${SERVICE}`, 'region:nt-canary', 'version:v2', 'region_rolled_back'],
    ]);
    expect(annotations[0]).toMatchObject({ dashboardUID: 'slo', time: expect.any(Number) });

    // nothing more, and nothing twice, once the notifier has gone round again
    await new Promise((r) => setTimeout(r, 2_500));
    expect([hooks.requests.length, slack.requests.length, grafana.requests.length]).toEqual([3, 2, 2]);
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toContain('sluice_notifications_sent_total{channel="hooks",trigger="HALTED"} 1');
    expect(metrics).toContain('sluice_notification_backlog{channel="hooks"} 0');
  });
});
