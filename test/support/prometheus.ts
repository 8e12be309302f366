import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';
import { eventually } from './eventually';
import {
  findMonitoringBinary,
  monitoringInstallHint,
  startAlertmanager as startAlertmanagerServer,
  startPrometheus as startPrometheusServer,
  type MonitoringKind,
  type WebConfig,
  type ScrapeJob,
} from '../../libs/platform/src/monitoring-servers';

/** A real Prometheus or Alertmanager (Debian's packages), on loopback, for the monitoring specs. */
export interface PrometheusServer {
  url: string;
  stop(): Promise<void>;
}

/** CI sets it, so a machine without Prometheus fails the monitoring specs there instead of skipping them. */
export const REQUIRE_MONITORING = 'SLUICE_REQUIRE_MONITORING';

/**
 * `describe` for a suite that needs real monitoring binaries. When they are missing and
 * SLUICE_REQUIRE_MONITORING is unset, the suite is skipped with one line that says why;
 * with the variable set it runs, and fails on the missing binary.
 */
export function describeWithMonitoring(kinds: MonitoringKind[], name: string, body: () => void): void {
  const missing = kinds.filter((k) => !findMonitoringBinary(k));
  if (missing.length === 0 || process.env[REQUIRE_MONITORING]) return describe(name, body);
  process.stderr.write(
    `[monitoring] skipping "${name}": ${missing.join(' and ')} not installed (${monitoringInstallHint(missing)}; ${REQUIRE_MONITORING}=1 makes this a failure)\n`,
  );
  describe.skip(name, body);
}

function scratch(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Prometheus scraping `targets` (job `region-sim`) and any other `jobs` every second; optional
 * rule file and Alertmanager.
 */
export async function startPrometheus(options: {
  targets: string[];
  jobs?: ScrapeJob[];
  rules?: string;
  alertmanager?: string;
  port?: number;
  /** Behind authentication or TLS (webConfig in test/support/monitoring-auth.ts). */
  web?: WebConfig;
}): Promise<PrometheusServer> {
  const { dir, remove } = scratch('sluice-prom-');
  const server = await startPrometheusServer({
    dataDir: dir,
    port: options.port ?? (await freePort()),
    jobs: [{ name: 'region-sim', targets: options.targets }, ...(options.jobs ?? [])],
    rules: options.rules ? [options.rules] : [],
    alertmanager: options.alertmanager,
    web: options.web,
  });
  return { url: server.url, stop: () => server.stop().then(remove) };
}

/** Alertmanager routing everything to `webhookUrl` (one or several) with a bearer token. */
export async function startAlertmanager(options: {
  port: number;
  /** Several: each gets every notification, as with one receiver per gateway. */
  webhookUrl: string | string[];
  token: string;
  web?: WebConfig;
}): Promise<PrometheusServer> {
  const { dir, remove } = scratch('sluice-am-');
  const server = await startAlertmanagerServer({ dataDir: dir, ...options });
  return { url: server.url, stop: () => server.stop().then(remove) };
}

/**
 * Waits until Prometheus holds `seconds` of region-sim's traffic (after its first scrape, plus
 * 5 s): a canary judge's pre-change window must be there before the first push.
 */
export async function waitForScrapedWindow(prometheus: PrometheusServer, seconds: number): Promise<void> {
  const scraped = await eventually(
    async () => {
      const q = encodeURIComponent('count(sluice_sim_requests_total) > 0');
      const res = (await (await fetch(`${prometheus.url}/api/v1/query?query=${q}`)).json()) as {
        data: { result: unknown[] };
      };
      return res.data.result.length > 0 ? Date.now() : undefined;
    },
    { what: 'Prometheus to scrape region-sim', timeoutMs: 60_000, intervalMs: 500 },
  );
  await new Promise((r) => setTimeout(r, Math.max(0, scraped + (seconds + 5) * 1000 - Date.now())));
}
