import { tokenOf } from './test-tokens';

export interface TestAlert {
  labels: Record<string, string>;
  fingerprint: string;
  /** Default: now. */
  startsAt?: string;
}

/** Posts firing alerts to the gateway's Alertmanager webhook (payload version 4), as Alertmanager would. */
export function postAlerts(gatewayUrl: string, alerts: TestAlert[], as = 'alertmanager'): Promise<Response> {
  return fetch(`${gatewayUrl}/hooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf(as)}` },
    body: JSON.stringify({
      version: '4',
      status: 'firing',
      alerts: alerts.map((a) => ({ status: 'firing', startsAt: new Date().toISOString(), ...a })),
    }),
  });
}
