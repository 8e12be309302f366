import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath, isExecutable } from './executables';
import { StartupError } from './startup-error';

/**
 * Real Prometheus and Alertmanager processes on loopback, for `npm start` and the monitoring
 * specs: found on the machine (PATH, Debian's names, or PROMETHEUS_BIN / ALERTMANAGER_BIN),
 * configured here, stopped with their owner.
 */
export type MonitoringKind = 'prometheus' | 'alertmanager';

const BINARY_NAMES: Record<MonitoringKind, { names: string[]; variable: string }> = {
  prometheus: { names: ['prometheus'], variable: 'PROMETHEUS_BIN' },
  // Debian names the package and its binary prometheus-alertmanager; upstream and Homebrew say alertmanager.
  alertmanager: { names: ['alertmanager', 'prometheus-alertmanager'], variable: 'ALERTMANAGER_BIN' },
};

/** The binary's path, or undefined when this machine has none. */
export function findMonitoringBinary(kind: MonitoringKind, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { names, variable } = BINARY_NAMES[kind];
  const explicit = env[variable];
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  for (const name of names) {
    const found = findOnPath(name, env);
    if (found) return found;
  }
  return undefined;
}

/** How to get the missing binaries on this machine: apt where apt is, Homebrew where brew is, else upstream. */
export function monitoringInstallHint(missing: MonitoringKind[], env: NodeJS.ProcessEnv = process.env): string {
  const debian = missing.map((k) => (k === 'prometheus' ? 'prometheus' : 'prometheus-alertmanager'));
  if (findOnPath('apt-get', env)) return `apt-get install ${debian.join(' ')}`;
  if (findOnPath('brew', env)) return `brew install ${missing.join(' ')}`;
  return `download ${missing.join(' and ')} from prometheus.io/download and set ${missing.map((k) => BINARY_NAMES[k].variable).join(' and ')}`;
}

export interface MonitoringServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}

function requireBinary(kind: MonitoringKind): string {
  const binary = findMonitoringBinary(kind);
  if (!binary) {
    throw new StartupError('MONITORING_FAILED', `${kind} is not installed: ${monitoringInstallHint([kind])}`);
  }
  return binary;
}

/** Whether the server answers its readiness endpoint; a server behind authentication needs its own check. */
export type ReadinessCheck = (url: string) => Promise<boolean>;

const readyWithoutCredentials: ReadinessCheck = async (url) => (await fetch(`${url}/-/ready`)).ok;

/**
 * `--web.config.file` for a server behind authentication or TLS (exporter-toolkit's format:
 * `basic_auth_users` with bcrypt hashes, `tls_server_config`), and how to tell it is ready.
 */
export interface WebConfig {
  /** The YAML text, written beside the server's config. */
  yaml: string;
  ready: ReadinessCheck;
  /** The server's scheme: https when the YAML has a tls_server_config. */
  scheme?: 'http' | 'https';
}

function webConfigArgs(dataDir: string, web: WebConfig | undefined): string[] {
  if (!web) return [];
  const file = join(dataDir, 'web.yml');
  writeFileSync(file, web.yaml);
  return [`--web.config.file=${file}`];
}

async function startServer(
  what: string,
  binary: string,
  args: string[],
  url: string,
  ready: ReadinessCheck = readyWithoutCredentials,
): Promise<MonitoringServer> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  });
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  const server = {
    url,
    child,
    stop: async () => {
      await stopChild(child);
      process.removeListener('exit', stopOnExit);
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      process.removeListener('exit', stopOnExit);
      const reason = output.trim().split('\n').slice(-2).join(' ');
      const busy = /address already in use/i.test(output);
      throw new StartupError(
        busy ? 'PORT_IN_USE' : 'MONITORING_FAILED',
        `${what} exited at start${busy ? ` because ${url} is in use` : ''}: ${reason || `code ${child.exitCode}`}`,
      );
    }
    try {
      if (await ready(url)) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await server.stop();
  throw new StartupError('MONITORING_FAILED', `${what} was not ready at ${url} within 30 s`);
}

export interface ScrapeJob {
  name: string;
  targets: string[];
}

const yamlString = (s: string) => JSON.stringify(s);

/** Prometheus scraping every second, with optional rule files and an Alertmanager to send to. */
export async function startPrometheus(options: {
  dataDir: string;
  port: number;
  jobs: ScrapeJob[];
  /** Rule file contents, written beside the config. */
  rules?: string[];
  alertmanager?: string;
  web?: WebConfig;
}): Promise<MonitoringServer> {
  const binary = requireBinary('prometheus');
  mkdirSync(options.dataDir, { recursive: true });
  const ruleFiles = (options.rules ?? []).map((content, i) => {
    const file = join(options.dataDir, `rules-${i}.yml`);
    writeFileSync(file, content);
    return file;
  });
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(ruleFiles.length ? ['rule_files:', ...ruleFiles.map((f) => `  - ${yamlString(f)}`)] : []),
    ...(options.alertmanager
      ? [
          'alerting:',
          '  alertmanagers:',
          '    - static_configs:',
          `        - targets: [${yamlString(options.alertmanager)}]`,
        ]
      : []),
    'scrape_configs:',
    ...options.jobs.flatMap((job) => [
      `  - job_name: ${yamlString(job.name)}`,
      '    static_configs:',
      `      - targets: [${job.targets.map(yamlString).join(', ')}]`,
    ]),
  ].join('\n');
  const configFile = join(options.dataDir, 'prometheus.yml');
  writeFileSync(configFile, config);
  return startServer(
    'Prometheus',
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      ...webConfigArgs(options.dataDir, options.web),
      '--log.level=warn',
    ],
    `${options.web?.scheme ?? 'http'}://127.0.0.1:${options.port}`,
    options.web?.ready,
  );
}

/**
 * Alertmanager routing every alert to `webhookUrl` with a bearer token, grouped per service
 * and region. Several URLs (one per gateway) each get every notification.
 */
export async function startAlertmanager(options: {
  dataDir: string;
  port: number;
  webhookUrl: string | string[];
  token: string;
  web?: WebConfig;
}): Promise<MonitoringServer> {
  const binary = requireBinary('alertmanager');
  mkdirSync(options.dataDir, { recursive: true });
  const configFile = join(options.dataDir, 'alertmanager.yml');
  writeFileSync(
    configFile,
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
      ...[options.webhookUrl]
        .flat()
        .flatMap((url) => [
          `      - url: ${yamlString(url)}`,
          '        send_resolved: false',
          '        http_config:',
          '          authorization:',
          '            type: Bearer',
          `            credentials: ${yamlString(options.token)}`,
        ]),
    ].join('\n'),
  );
  return startServer(
    'Alertmanager',
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(options.dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--cluster.listen-address=',
      ...webConfigArgs(options.dataDir, options.web),
      '--log.level=warn',
    ],
    `${options.web?.scheme ?? 'http'}://127.0.0.1:${options.port}`,
    options.web?.ready,
  );
}
