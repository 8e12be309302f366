import { ErrorCode, SluiceError } from '../../domain/src';
import { asConnection, type MonitoringConnection } from './monitoring-connection';
import { excerpt, monitoringGet } from './monitoring-get';

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
  private readonly connection: MonitoringConnection;

  /** A URL alone, or a connection with credentials, headers and TLS (loadMonitoringConnection). */
  constructor(connection: MonitoringConnection | string) {
    this.connection = asConnection(connection);
  }

  async firing(labels: Record<string, string>, timeoutMs: number): Promise<FiringAlert[]> {
    const params = new URLSearchParams({ active: 'true', silenced: 'false', inhibited: 'false' });
    for (const [name, value] of Object.entries(labels)) params.append('filter', `${name}=${JSON.stringify(value)}`);
    const answer = await monitoringGet('Alertmanager', this.connection, `/api/v2/alerts?${params}`, timeoutMs);
    let alerts: Array<{ labels: Record<string, string>; fingerprint: string; startsAt: string }> | undefined;
    try {
      if (answer.status >= 200 && answer.status < 300) alerts = JSON.parse(answer.text) as typeof alerts;
    } catch {
      // not JSON: said below
    }
    if (!Array.isArray(alerts)) {
      throw new SluiceError(
        ErrorCode.MetricsUnavailable,
        `Alertmanager answered ${answer.status}: ${excerpt(this.connection, answer.text)}`,
      );
    }
    return alerts.map((a) => ({
      alertname: a.labels.alertname ?? 'unnamed',
      fingerprint: a.fingerprint,
      labels: a.labels,
      startsAt: a.startsAt,
    }));
  }
}
