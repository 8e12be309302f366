import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';

/** A real Prometheus (Debian's `prometheus` package), on loopback, for the monitoring specs. */
export interface PrometheusServer {
  url: string;
  stop(): Promise<void>;
}

export function findBinary(name: string, envVar: string): string {
  const explicit = process.env[envVar];
  const candidates = [explicit, ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name))].filter(
    (c): c is string => Boolean(c),
  );
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(
    `${name} is not installed: apt-get install ${name === 'prometheus' ? 'prometheus' : 'prometheus-alertmanager'} (or set ${envVar})`,
  );
}

async function waitReady(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready at ${url} within 30 s`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/** Starts Prometheus scraping `targets` every second; optional rule file and Alertmanager. */
export async function startPrometheus(options: {
  targets: string[];
  rules?: string;
  alertmanager?: string;
  port?: number;
}): Promise<PrometheusServer> {
  const binary = findBinary('prometheus', 'PROMETHEUS_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prom-'));
  const port = options.port ?? (await freePort());
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(options.rules ? ['rule_files:', `  - ${join(dir, 'rules.yml')}`] : []),
    ...(options.alertmanager
      ? ['alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: ['${options.alertmanager}']`]
      : []),
    'scrape_configs:',
    '  - job_name: region-sim',
    '    static_configs:',
    `      - targets: [${options.targets.map((t) => `'${t}'`).join(', ')}]`,
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  if (options.rules) writeFileSync(join(dir, 'rules.yml'), options.rules);
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/-/ready`, child, 'Prometheus');
  return { url, stop: () => stopChild(child) };
}

/** Starts Alertmanager (Debian's `prometheus-alertmanager`) routing everything to `webhookUrl` with a bearer token. */
export async function startAlertmanager(options: {
  port: number;
  webhookUrl: string;
  token: string;
}): Promise<PrometheusServer> {
  const binary = findBinary('prometheus-alertmanager', 'ALERTMANAGER_BIN');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-am-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: sluice',
      '  group_by: [alertname, service, region]',
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: sluice',
      '    webhook_configs:',
      `      - url: ${options.webhookUrl}`,
      '        send_resolved: false',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials: ${options.token}`,
    ].join('\n'),
  );
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${options.port}`;
  await waitReady(`${url}/-/ready`, child, 'Alertmanager');
  return { url, stop: () => stopChild(child) };
}
