import type { ChannelSpec, Notification, SecretRef } from '../../../domain/src';
import { rolloutPageUrl, type HttpRequest, type NotificationSink } from './sink';

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

/** `grafana`: annotations with the service account token `tokenFrom` names. */
export const grafanaSink: NotificationSink = {
  kind: 'grafana',
  request: (n, spec, { url, publicUrl, secret }) =>
    grafanaRequest(n, spec, url, secret(spec.tokenFrom as SecretRef), publicUrl),
};
