import { ErrorCode, SluiceError } from '../../domain/src';
import { monitoringGet } from './monitoring-get';

export interface FiringAlert {
  alertname: string;
  fingerprint: string;
  labels: Record<string, string>;
  startsAt: string;
}

/** Port: which alerts are firing now. */
export interface AlertSource {
  firing(labels: Record<string, string>, timeoutMs: number): Promise<FiringAlert[]>;
}

/** Alertmanager's API v2: active, unsilenced, uninhibited alerts matching every label given. */
export class AlertmanagerClient implements AlertSource {
  constructor(private readonly baseUrl: string) {}

  async firing(labels: Record<string, string>, timeoutMs: number): Promise<FiringAlert[]> {
    const params = new URLSearchParams({ active: 'true', silenced: 'false', inhibited: 'false' });
    for (const [name, value] of Object.entries(labels)) params.append('filter', `${name}=${JSON.stringify(value)}`);
    const response = await monitoringGet('Alertmanager', this.baseUrl, `/api/v2/alerts?${params}`, timeoutMs);
    if (!response.ok) {
      throw new SluiceError(
        ErrorCode.MetricsUnavailable,
        `Alertmanager answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
      );
    }
    const alerts = (await response.json()) as Array<{
      labels: Record<string, string>;
      fingerprint: string;
      startsAt: string;
    }>;
    return alerts.map((a) => ({
      alertname: a.labels.alertname ?? 'unnamed',
      fingerprint: a.fingerprint,
      labels: a.labels,
      startsAt: a.startsAt,
    }));
  }
}
