import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../platform/src/project-root';
import { loadChannelsFile, loadNotificationSettings } from './notification-settings';

describe('notification settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-channels-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('loads the example channels file as shipped', () => {
    const channels = loadChannelsFile(join(projectRoot(__dirname), 'deploy/notifications/notifications.example.yaml'));
    expect(channels.map((c) => [c.name, c.kind, c.triggers.length, c.minSeverity])).toEqual([
      ['incident-bot', 'webhook', 6, 'info'],
      ['checkout-team', 'slack', 6, 'warning'],
      ['grafana', 'grafana', 2, 'info'],
    ]);
  });

  it('stops the start on a bad file, naming the file and each field', () => {
    const bad = file('bad.yaml', 'channels:\n  - name: x\n    kind: webhook\n    url: ftp://x\n');
    expect(() => loadChannelsFile(bad)).toThrow(
      `SLUICE_NOTIFICATIONS_FILE: invalid channels in ${bad}:\n  channels.0.url: an http(s) URL\n  channels.0.signingSecretFrom: a webhook channel signs its events: name the key (env or file)`,
    );
    const twice = file(
      'twice.yaml',
      'channels:\n  - { name: a, kind: slack, urlFrom: { env: SLUICE_SECRET_U } }\n  - { name: a, kind: slack, urlFrom: { env: SLUICE_SECRET_V } }\n',
    );
    expect(() => loadChannelsFile(twice)).toThrow(`channel a is defined twice in ${twice}`);
    expect(() => loadChannelsFile(join(dir, 'missing.yaml'))).toThrow(/cannot read .*missing\.yaml/);
    const stray = file('stray.yaml', 'channels:\n  - { name: a, kind: slack, urlFrom: { file: /etc/shadow } }\n');
    expect(() => loadChannelsFile(stray, { SLUICE_SECRETS_DIR: dir })).toThrow(
      `invalid channels in ${stray}:\n  a.urlFrom: secret reference file /etc/shadow is outside SLUICE_SECRETS_DIR (${dir})`,
    );
    expect(() => loadNotificationSettings({ SLUICE_NOTIFY_MAX_ATTEMPTS: '0' })).toThrow(/SLUICE_NOTIFY_MAX_ATTEMPTS/);
    expect(() => loadNotificationSettings({ SLUICE_PUBLIC_URL: 'sluice.example.com' })).toThrow(/SLUICE_PUBLIC_URL/);
  });

  it('defaults to no file, links to the gateway itself, and a dozen attempts', () => {
    expect(loadNotificationSettings({})).toEqual({
      fileChannels: null,
      publicUrl: null,
      policy: { maxAttempts: 12, maxBackoffSeconds: 300, timeoutMs: 10_000, concurrency: 16 },
    });
  });
});
