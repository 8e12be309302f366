import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** docker-compose.yml as the deploy and cluster specs read it, without a Docker engine. */
export const ROOT = join(__dirname, '..', '..');

export const readYaml = (path: string) =>
  parse(readFileSync(join(ROOT, path), 'utf8'), { merge: true }) as Record<string, unknown>;

export interface ComposeService {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

export const compose = readYaml('docker-compose.yml') as {
  name: string;
  services: Record<string, ComposeService>;
  volumes: object;
};

/** A shell script as the container's shell sees it: compose turns `$$` into `$`. */
export const script = (lines: string[] | undefined) => (lines ?? []).join('\n').replaceAll('$$', '$');

export const TEMPORAL_SERVER_IMAGE = 'temporalio/server';

/** The Temporal server processes: every service on the server image, by name. */
export const temporalServers = () =>
  Object.entries(compose.services).filter(([, s]) => s.image?.startsWith(`${TEMPORAL_SERVER_IMAGE}:`));

export interface TemporalServerCommand {
  /** The config file, as the path in this repository that the container mounts there. */
  configFile: string;
  service: string;
}

/**
 * What a Temporal server container runs: `sh -ec SCRIPT SERVICE` where SCRIPT ends in
 * `temporal-server --config-file X ... start --service "$0"`.
 */
export function temporalServerCommand(service: ComposeService): TemporalServerCommand {
  const [shell, flags, body, ...args] = [...(service.entrypoint ?? []), ...(service.command ?? [])];
  const run = /exec temporal-server --config-file (\S+) --allow-no-auth start --service "\$0"\s*$/.exec(
    script([body ?? '']),
  );
  if (shell !== '/bin/sh' || !flags?.startsWith('-') || !run || args.length !== 1) {
    throw new Error(`not a temporal-server start: ${JSON.stringify([service.entrypoint, service.command])}`);
  }
  return { configFile: hostPath(service, run[1]), service: args[0] };
}

/** A path inside the container, as the file in this repository a read-only mount puts there. */
export function hostPath(service: ComposeService, path: string): string {
  for (const volume of service.volumes ?? []) {
    const [from, to] = volume.split(':');
    if (from.startsWith('./') && (path === to || path.startsWith(`${to}/`))) {
      return join(from, path.slice(to.length));
    }
  }
  return path;
}
