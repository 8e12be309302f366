import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gauge, collectDefaultMetrics, type Registry } from 'prom-client';
import { projectRoot } from './project-root';

/** What `sluice_build_info` says about the running code. */
export interface BuildInfo {
  version: string;
  /** The source commit, from SLUICE_COMMIT when the build sets it; absent otherwise. */
  commit?: string;
  node_version: string;
}

export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  const manifest = JSON.parse(readFileSync(join(projectRoot(__dirname), 'package.json'), 'utf8')) as {
    version: string;
  };
  const commit = env.SLUICE_COMMIT?.trim();
  return { version: manifest.version, ...(commit ? { commit } : {}), node_version: process.version };
}

/**
 * What every Sluice process exports: the standard, unprefixed `process_*` and `nodejs_*`
 * metrics (so stock dashboards and alerts find them) and `sluice_build_info` = 1, whose
 * labels say which build runs (join it onto any series by instance).
 */
export function registerProcessMetrics(registry: Registry, info: BuildInfo = buildInfo()): void {
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'sluice_build_info',
    help: 'Always 1; the labels say which build of Sluice runs: version, commit (when known), node_version.',
    labelNames: ['version', 'commit', 'node_version'],
    registers: [registry],
  }).set({ ...info }, 1);
}
