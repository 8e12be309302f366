import { createHmac } from 'node:crypto';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  notificationFor,
  parseChannelSpec,
  wants,
  type Notification,
  type RolloutEvent,
  type FieldError,
  type SluiceError,
} from '../../../domain/src';
import { grafanaRequest, requestFor, resolveSecret, slackRequest, webhookRequest } from '.';

const ref = { rolloutId: 'r-1', service: 'checkout', version: 'v42' };
const at = new Date('2026-12-03T08:00:00.000Z');
const make = (event: RolloutEvent) =>
  notificationFor({ ...event, eventId: '6f1c1c7e-4d2b-4a8e-9f8a-1f2e3d4c5b6a', recordedAt: at }, ref);

const halted = make({
  type: 'RolloutHalted',
  data: { reason: 'error rate 7% in eu-west', source: 'alertmanager', by: 'alertmanager' },
}) as Notification;

describe('notifications from events', () => {
  it('makes one for each trigger, with its severity, and none for other events', () => {
    expect(halted).toEqual({
      eventId: '6f1c1c7e-4d2b-4a8e-9f8a-1f2e3d4c5b6a',
      trigger: 'HALTED',
      severity: 'warning',
      rolloutId: 'r-1',
      service: 'checkout',
      version: 'v42',
      time: '2026-12-03T08:00:00.000Z',
      summary: 'checkout v42 halted: error rate 7% in eu-west',
      reason: 'error rate 7% in eu-west',
    });
    const failed = make({ type: 'RollbackFailed', data: { failedRegions: ['eu-west'], reason: 'unreachable' } });
    expect(failed).toMatchObject({ trigger: 'ROLLBACK_FAILED', severity: 'critical', regions: ['eu-west'] });
    expect(make({ type: 'ApprovalRequested', data: { wave: 2 } })).toMatchObject({
      trigger: 'APPROVAL_REQUESTED',
      wave: 2,
    });
    expect(make({ type: 'RolloutSucceeded', data: { version: 'v42', regions: ['a', 'b'] } })).toMatchObject({
      trigger: 'SUCCEEDED',
      severity: 'info',
    });
    expect(make({ type: 'PrecheckFailed', data: { check: 'freeze', code: 'FROZEN', reason: 'frozen' } })).toMatchObject(
      {
        trigger: 'PRECHECK_FAILED',
        reason: 'FROZEN: frozen',
      },
    );
    expect(make({ type: 'WaveCompleted', data: { wave: 1 } })).toBeNull();
  });

  it('annotates a push that changed the region, not a re-push of the same version', () => {
    const push = (changed: boolean) =>
      make({
        type: 'RegionConfigPushed',
        data: { region: 'eu-west', wave: 1, version: 'v42', previousVersion: 'v41', configHash: 'h', changed },
      });
    expect(push(true)).toMatchObject({ trigger: 'REGION_PUSHED', region: 'eu-west', severity: 'info' });
    expect(push(false)).toBeNull();
    const restore = (outcome: 'RESTORED' | 'FAILED') =>
      make({
        type: 'RegionRolledBack',
        data: { region: 'eu-west', fromVersion: 'v42', toVersion: 'v41', configHash: 'h', outcome, error: 'timeout' },
      });
    expect(restore('RESTORED')).toMatchObject({ trigger: 'REGION_ROLLED_BACK', severity: 'warning' });
    expect(restore('FAILED')).toMatchObject({ trigger: 'REGION_ROLLED_BACK', severity: 'critical' });
  });

  it('filters by trigger, service and severity', () => {
    const spec = (extra: Record<string, unknown>) =>
      parseChannelSpec({ name: 'c', kind: 'slack', urlFrom: { env: 'SLUICE_SECRET_SLACK_URL' }, ...extra });
    expect(wants(spec({}), halted)).toBe(true);
    expect(wants(spec({ services: ['payments'] }), halted)).toBe(false);
    expect(wants(spec({ services: ['checkout'] }), halted)).toBe(true);
    expect(wants(spec({ minSeverity: 'critical' }), halted)).toBe(false);
    expect(wants(spec({ triggers: ['SUCCEEDED'] }), halted)).toBe(false);
    // grafana channels default to pushes and rollbacks
    const grafana = parseChannelSpec({
      name: 'g',
      kind: 'grafana',
      url: 'http://grafana:3000',
      tokenFrom: { env: 'SLUICE_SECRET_T' },
    });
    expect(grafana.triggers).toEqual(['REGION_PUSHED', 'REGION_ROLLED_BACK']);
  });

  it('refuses a channel that is incomplete or carries a secret by value, naming each field', () => {
    const refused = (input: unknown) => {
      try {
        parseChannelSpec(input);
      } catch (err) {
        return (err as SluiceError).details.fields as FieldError[];
      }
      throw new Error('accepted');
    };
    expect(
      refused({ name: 'Bad Name', kind: 'webhook', url: 'http://x', signingSecretFrom: { env: 'SLUICE_SECRET_K' } }),
    ).toEqual([{ field: 'name', message: expect.stringContaining('lower-case') }]);
    expect(refused({ name: 'w', kind: 'webhook', url: 'http://x' })).toEqual([
      { field: 'signingSecretFrom', message: expect.stringContaining('signs') },
    ]);
    expect(refused({ name: 's', kind: 'slack', url: 'http://x', urlFrom: { env: 'SLUICE_SECRET_U' } })).toEqual([
      { field: 'url', message: 'give exactly one of url or urlFrom' },
    ]);
    expect(
      refused({ name: 'g', kind: 'grafana', url: 'http://x', tokenFrom: { env: 'SLUICE_SECRET_T', file: '/t' } }),
    ).toEqual([{ field: 'tokenFrom', message: 'exactly one of env or file' }]);
    expect(
      refused({
        name: 'g',
        kind: 'grafana',
        url: 'http://x',
        token: 'glsa_secret',
        tokenFrom: { env: 'SLUICE_SECRET_T' },
      }),
    ).toEqual([{ field: '(root)', message: expect.stringContaining('token') }]);
    expect(
      refused({ name: 's', kind: 'slack', urlFrom: { env: 'SLUICE_SECRET_U' }, triggers: ['EXPLODED'] })[0].field,
    ).toBe('triggers.0');
  });
});

describe('sink payloads', () => {
  const publicUrl = 'https://sluice.example.com/';

  it('a webhook gets a CloudEvents 1.0 event in structured mode, signed with HMAC-SHA256 of the body', () => {
    const request = webhookRequest(halted, 'http://hooks.local/sluice', 'k3y', publicUrl);
    expect(request.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(request.headers['x-sluice-signature-256']).toBe(
      `sha256=${createHmac('sha256', 'k3y').update(request.body).digest('hex')}`,
    );
    expect(JSON.parse(request.body)).toEqual({
      specversion: '1.0',
      id: '6f1c1c7e-4d2b-4a8e-9f8a-1f2e3d4c5b6a',
      source: '/sluice/services/checkout',
      type: 'dev.sluice.rollout.halted',
      subject: 'r-1',
      time: '2026-12-03T08:00:00.000Z',
      datacontenttype: 'application/json',
      severity: 'warning',
      data: { ...halted, url: 'https://sluice.example.com/ui/rollouts/r-1' },
    });
  });

  it('Slack gets Block Kit with the summary, the facts and a button to the rollout page', () => {
    const failed = make({
      type: 'RollbackFailed',
      data: { failedRegions: ['eu-west'], reason: 'a <b> & c' },
    }) as Notification;
    const body = JSON.parse(slackRequest(failed, 'https://hooks.slack.invalid/services/T/B/X', publicUrl).body);
    expect(body.text).toBe(':rotating_light: Rollback FAILED: checkout v42 rollback FAILED in eu-west: a <b> & c');
    expect(body.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: ':rotating_light: Rollback FAILED: checkout v42', emoji: true },
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'checkout v42 rollback FAILED in eu-west: a &lt;b&gt; &amp; c' },
        fields: [
          { type: 'mrkdwn', text: '*Service*\ncheckout' },
          { type: 'mrkdwn', text: '*Version*\nv42' },
          { type: 'mrkdwn', text: '*Severity*\ncritical' },
          { type: 'mrkdwn', text: '*Regions*\neu-west' },
        ],
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open rollout' },
            url: 'https://sluice.example.com/ui/rollouts/r-1',
            style: 'danger',
          },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Sluice · rollout `r-1` · 2026-12-03T08:00:00.000Z' }] },
    ]);
  });

  it('Grafana gets an annotation at the event time, tagged with service, region and trigger', () => {
    const push = make({
      type: 'RegionConfigPushed',
      data: { region: 'eu-west', wave: 1, version: 'v42', previousVersion: 'v41', configHash: 'h', changed: true },
    }) as Notification;
    const spec = parseChannelSpec({
      name: 'grafana',
      kind: 'grafana',
      url: 'http://grafana:3000/',
      tokenFrom: { env: 'SLUICE_SECRET_T' },
      dashboardUid: 'slo',
      tags: ['prod'],
    });
    const request = grafanaRequest(push, spec, 'http://grafana:3000/', 'glsa_t', publicUrl);
    expect(request.url).toBe('http://grafana:3000/api/annotations');
    expect(request.headers.authorization).toBe('Bearer glsa_t');
    expect(JSON.parse(request.body)).toEqual({
      dashboardUID: 'slo',
      time: at.getTime(),
      tags: ['sluice', 'service:checkout', 'region:eu-west', 'version:v42', 'region_pushed', 'prod'],
      text: 'checkout v42 pushed to eu-west <a href="https://sluice.example.com/ui/rollouts/r-1">rollout r-1</a>',
    });
  });

  it('refuses references outside Sluice secrets, so a channel cannot send the gateway credentials away', () => {
    const grafana = (tokenFrom: unknown) => ({ name: 'g', kind: 'grafana', url: 'http://x', tokenFrom });
    expect(() => parseChannelSpec(grafana({ env: 'DATABASE_URL' }))).toThrow(
      'Invalid notification channel: tokenFrom.env: a variable named SLUICE_SECRET_…, e.g. SLUICE_SECRET_SLACK_URL',
    );
    expect(() => parseChannelSpec({ name: 's', kind: 'slack', url: 'https://hooks.slack.invalid/T/B/x' })).toThrow(
      'url: a Slack webhook URL is a secret: give it as urlFrom (env or file), not url',
    );
    const dir = mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
    const outside = mkdtempSync(join(tmpdir(), 'sluice-elsewhere-'));
    writeFileSync(join(outside, 'token'), 'their-token');
    symlinkSync(join(outside, 'token'), join(dir, 'link'));
    const env = { SLUICE_SECRETS_DIR: dir };
    for (const file of [join(outside, 'token'), join(dir, '..', 'token'), join(dir, 'link')])
      expect(() => resolveSecret({ file }, env)).toThrow(/is outside SLUICE_SECRETS_DIR/);
    expect(() => resolveSecret({ env: 'DATABASE_URL' }, { DATABASE_URL: 'postgres://u:p@db' })).toThrow(
      'secret reference env DATABASE_URL is not a SLUICE_SECRET_* variable',
    );
  });

  it('resolves secrets by reference at send time, and names a missing one without its value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-secret-'));
    writeFileSync(join(dir, 'key'), 'from-file\n');
    expect(resolveSecret({ file: join(dir, 'key') }, { SLUICE_SECRETS_DIR: dir })).toBe('from-file');
    expect(resolveSecret({ env: 'SLUICE_SECRET_HOOK_KEY' }, { SLUICE_SECRET_HOOK_KEY: 'from-env' })).toBe('from-env');
    expect(() => resolveSecret({ env: 'SLUICE_SECRET_HOOK_KEY' }, {})).toThrow(
      'secret reference env SLUICE_SECRET_HOOK_KEY is not set',
    );
    expect(() => resolveSecret({ file: join(dir, 'missing') }, { SLUICE_SECRETS_DIR: dir })).toThrow(/cannot be read/);
    const spec = parseChannelSpec({ name: 's', kind: 'slack', urlFrom: { env: 'SLUICE_SECRET_SLACK_URL' } });
    expect(requestFor(halted, spec, publicUrl, { SLUICE_SECRET_SLACK_URL: 'https://hooks.slack.invalid/x' }).url).toBe(
      'https://hooks.slack.invalid/x',
    );
  });
});
