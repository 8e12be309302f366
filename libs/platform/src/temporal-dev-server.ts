import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolveTemporalCli, type TemporalCliResolution } from './temporal-cli';

export interface TemporalDevServerOptions {
  projectRoot: string;
  /** SQLite file that keeps workflows across restarts; in-memory when absent. */
  dbFilename?: string;
  /** gRPC port; a free one when absent. */
  port?: number;
  /** Web UI port; no UI when absent. */
  uiPort?: number;
  namespace?: string;
  /** Registered at start: Sluice's are `SLUICE_SEARCH_ATTRIBUTES` (workflows/rollout.search-attributes.ts). */
  searchAttributes: readonly SearchAttributeKey<SearchAttributeType>[];
  /** Server dynamic config, e.g. `limit.historyCount.suggestContinueAsNew` lowered for a spec. */
  dynamicConfig?: Record<string, string | number>;
}

export interface TemporalDevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  cli: TemporalCliResolution;
  stop(): Promise<void>;
}

/**
 * Dynamic config every Sluice dev server gets. Eager activity execution: an activity the
 * workflow schedules goes back to its worker in the answer to the workflow task, without a
 * trip through the task queue. A rollback's restores (49 at a time in a 50-region wave) then
 * start at once instead of one poll after another (docs/PERFORMANCE.md, time to mitigation).
 */
export const SLUICE_DEV_SERVER_CONFIG: Record<string, string | number> = {
  'system.enableActivityEagerExecution': 'true',
};

/**
 * Starts `temporal server start-dev` with the given search attributes registered. The binary
 * comes from {@link resolveTemporalCli}; without one, the SDK downloads the dev server.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const cli = resolveTemporalCli(options.projectRoot);
  const namespace = options.namespace ?? 'default';
  if (options.dbFilename) mkdirSync(dirname(options.dbFilename), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli.path ? { type: 'existing-path', path: cli.path } : { type: 'cached-download' },
      ip: '127.0.0.1',
      port: options.port,
      namespace,
      dbFilename: options.dbFilename,
      ui: options.uiPort !== undefined,
      uiPort: options.uiPort,
      searchAttributes: [...options.searchAttributes],
      log: { format: 'pretty', level: 'warn' },
      extraArgs: Object.entries({ ...SLUICE_DEV_SERVER_CONFIG, ...options.dynamicConfig }).flatMap(([key, value]) => [
        '--dynamic-config-value',
        `${key}=${value}`,
      ]),
    },
  });
  return {
    address: env.address,
    namespace,
    uiUrl: options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : undefined,
    cli,
    stop: () => env.teardown(),
  };
}
