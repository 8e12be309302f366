import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import { SECRET_ENV_PREFIX, type ChannelSpec, type Notification, type SecretRef } from '../../domain/src';

/** A failed send. `permanent`: retrying cannot help (the receiver refused the request as such). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** Where file references must point (SLUICE_SECRETS_DIR; default /etc/sluice/secrets). */
export const secretsDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.SLUICE_SECRETS_DIR || '/etc/sluice/secrets';

/** Why a file reference is refused: outside SLUICE_SECRETS_DIR (symbolic links followed), or null. */
export function secretFileProblem(file: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = resolve(secretsDir(env));
  const real = (path: string) => (existsSync(path) ? realpathSync(path) : resolve(path));
  const inside = real(file).startsWith(`${real(dir)}${sep}`);
  return inside ? null : `secret reference file ${file} is outside SLUICE_SECRETS_DIR (${dir})`;
}

/** The secret a reference names, read now (a rotated file is picked up at the next send). */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env !== undefined) {
    if (!ref.env.startsWith(SECRET_ENV_PREFIX))
      throw new SendError(`secret reference env ${ref.env} is not a ${SECRET_ENV_PREFIX}* variable`, true);
    const value = env[ref.env];
    if (!value) throw new SendError(`secret reference env ${ref.env} is not set`);
    return value;
  }
  const file = ref.file as string;
  const outside = secretFileProblem(file, env);
  if (outside) throw new SendError(outside, true);
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (!value) throw new Error('the file is empty');
    return value;
  } catch (err) {
    throw new SendError(`secret reference file ${file} cannot be read: ${(err as Error).message}`);
  }
}

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The link to a rollout's page on the board. */
export const rolloutPageUrl = (publicUrl: string, rolloutId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/ui/rollouts/${encodeURIComponent(rolloutId)}`;

export const SIGNATURE_HEADER = 'x-sluice-signature-256';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body with the channel's key, as GitHub signs. */
export function signature(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** `dev.sluice.rollout.halted`, `dev.sluice.rollout.region_pushed`, … */
export const cloudEventType = (n: Notification): string => `dev.sluice.rollout.${n.trigger.toLowerCase()}`;

/** The data every sink carries: the notification and the rollout's page. */
const dataOf = (n: Notification, publicUrl: string) => ({ ...n, url: rolloutPageUrl(publicUrl, n.rolloutId) });

/** A CloudEvents 1.0 event in structured JSON mode, signed. */
export function webhookRequest(n: Notification, url: string, key: string, publicUrl: string): HttpRequest {
  const event = new CloudEvent({
    specversion: '1.0',
    id: n.eventId,
    source: `/sluice/services/${n.service}`,
    type: cloudEventType(n),
    subject: n.rolloutId,
    time: n.time,
    datacontenttype: 'application/json',
    severity: n.severity,
    data: dataOf(n, publicUrl),
  });
  const message = HTTP.structured(event);
  const body = message.body as string;
  return {
    url,
    headers: {
      'content-type': 'application/cloudevents+json; charset=utf-8',
      [SIGNATURE_HEADER]: signature(key, body),
    },
    body,
  };
}

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

/** A Grafana annotation (`POST /api/annotations`), tagged so dashboards can pick Sluice's changes. */
export function grafanaRequest(
  n: Notification,
  spec: ChannelSpec,
  url: string,
  token: string,
  publicUrl: string,
): HttpRequest {
  const annotation = {
    ...(spec.dashboardUid ? { dashboardUID: spec.dashboardUid } : {}),
    time: Date.parse(n.time),
    tags: [
      'sluice',
      `service:${n.service}`,
      ...(n.region ? [`region:${n.region}`] : []),
      `version:${n.version}`,
      n.trigger.toLowerCase(),
      ...spec.tags,
    ],
    text: `${n.summary} <a href="${rolloutPageUrl(publicUrl, n.rolloutId)}">rollout ${n.rolloutId}</a>`,
  };
  return {
    url: `${url.replace(/\/+$/, '')}/api/annotations`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(annotation),
  };
}

/** The request a channel makes of a notification, its secrets resolved now. */
export function requestFor(n: Notification, spec: ChannelSpec, publicUrl: string, env = process.env): HttpRequest {
  const url = spec.url ?? resolveSecret(spec.urlFrom as SecretRef, env);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new SendError('the URL urlFrom names is not an http(s) URL', true);
  switch (spec.kind) {
    case 'webhook':
      return webhookRequest(n, url, resolveSecret(spec.signingSecretFrom as SecretRef, env), publicUrl);
    case 'slack':
      return slackRequest(n, url, publicUrl);
    case 'grafana':
      return grafanaRequest(n, spec, url, resolveSecret(spec.tokenFrom as SecretRef, env), publicUrl);
  }
}

/** The receiver's answer said "do not try again": a client error other than timeout and rate limit. */
const isPermanent = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

/** POSTs the request; a non-2xx answer or no answer within `timeoutMs` is a {@link SendError}. */
export async function send(request: HttpRequest, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new SendError(`${new URL(request.url).host}: ${why}`);
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  throw new SendError(
    `${new URL(request.url).host} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    isPermanent(response.status),
  );
}
