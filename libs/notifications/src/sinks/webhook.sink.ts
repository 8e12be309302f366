import { createHmac } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import type { Notification, SecretRef } from '../../../domain/src';
import { dataOf, type HttpRequest, type NotificationSink } from './sink';

export const SIGNATURE_HEADER = 'x-sluice-signature-256';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body with the channel's key, as GitHub signs. */
export function signature(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** `dev.sluice.rollout.halted`, `dev.sluice.rollout.region_pushed`, … */
export const cloudEventType = (n: Notification): string => `dev.sluice.rollout.${n.trigger.toLowerCase()}`;

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

/** `webhook`: CloudEvents signed with the key `signingSecretFrom` names. */
export const webhookSink: NotificationSink = {
  kind: 'webhook',
  request: (n, spec, { url, publicUrl, secret }) =>
    webhookRequest(n, url, secret(spec.signingSecretFrom as SecretRef), publicUrl),
};
