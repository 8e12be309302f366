import type { Notification } from '../../../domain/src';
import { rolloutPageUrl, type HttpRequest, type NotificationSink } from './sink';

const TITLE: Record<Notification['trigger'], string> = {
  APPROVAL_REQUESTED: ':raised_hand: Approval requested',
  HALTED: ':octagonal_sign: Rollout halted',
  ROLLED_BACK: ':rewind: Rolled back',
  ROLLBACK_FAILED: ':rotating_light: Rollback FAILED',
  SUCCEEDED: ':white_check_mark: Rolled out',
  PRECHECK_FAILED: ':no_entry: Precheck failed',
  REGION_PUSHED: ':arrow_up: Pushed',
  REGION_ROLLED_BACK: ':arrow_down: Region rolled back',
};

/** Slack's mrkdwn treats &, < and > as control characters. */
const escapeMrkdwn = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** A Slack incoming-webhook message: Block Kit, with a plain `text` for notifications and old clients. */
export function slackRequest(n: Notification, url: string, publicUrl: string): HttpRequest {
  const page = rolloutPageUrl(publicUrl, n.rolloutId);
  const fields = [
    ['Service', n.service],
    ['Version', n.version],
    ['Severity', n.severity],
    ...(n.wave !== undefined ? [['Wave', String(n.wave)]] : []),
    ...(n.region ? [['Region', n.region]] : []),
    ...(n.regions?.length ? [['Regions', n.regions.join(', ')]] : []),
  ].map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${escapeMrkdwn(v)}`, 2000) }));
  const message = {
    text: `${TITLE[n.trigger]}: ${n.summary}`,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: clip(`${TITLE[n.trigger]}: ${n.service} ${n.version}`, 150), emoji: true },
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: clip(escapeMrkdwn(n.summary), 3000) },
        fields: fields.slice(0, 10),
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open rollout' },
            url: page,
            ...(n.severity === 'critical' ? { style: 'danger' } : {}),
          },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Sluice · rollout \`${n.rolloutId}\` · ${n.time}` }] },
    ],
  };
  return { url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) };
}

/** `slack`: an incoming webhook, whose URL is the secret (`urlFrom`). */
export const slackSink: NotificationSink = {
  kind: 'slack',
  request: (n, _spec, { url, publicUrl }) => slackRequest(n, url, publicUrl),
};
