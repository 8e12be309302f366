import type { ChannelKind, ChannelSpec, Notification, SecretRef } from '../../../domain/src';
import { grafanaSink } from './grafana.sink';
import { resolveSecret, SendError, type HttpRequest, type NotificationSink } from './sink';
import { slackSink } from './slack.sink';
import { webhookSink } from './webhook.sink';

export * from './sink';
export { cloudEventType, signature, SIGNATURE_HEADER, webhookRequest } from './webhook.sink';
export { slackRequest } from './slack.sink';
export { grafanaRequest } from './grafana.sink';

/** Every sink, by the channel kind it serves. */
export const SINKS: Record<ChannelKind, NotificationSink> = {
  webhook: webhookSink,
  slack: slackSink,
  grafana: grafanaSink,
};

/** The request a channel makes of a notification, its secrets resolved now. */
export function requestFor(n: Notification, spec: ChannelSpec, publicUrl: string, env = process.env): HttpRequest {
  const url = spec.url ?? resolveSecret(spec.urlFrom as SecretRef, env);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new SendError('the URL urlFrom names is not an http(s) URL', true);
  return SINKS[spec.kind].request(n, spec, { url, publicUrl, secret: (ref) => resolveSecret(ref, env) });
}
