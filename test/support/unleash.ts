import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';
import { Client } from 'pg';
import { projectRoot } from '../../libs/platform/src/project-root';
import { testServices } from './test-env';

/** A real Unleash server (npm's unleash-server) on the test PostgreSQL, in a schema of its own. */
export interface UnleashServer {
  /** `http://127.0.0.1:port` */
  url: string;
  /** The admin token it was started with (`*:*.…`). */
  token: string;
  /** Each environment, enabled in project `default`. */
  environments: string[];
  stop(): Promise<void>;
}

let started = 0;

/**
 * Starts Unleash as a child process on this Node (test/support/unleash-child.cjs), waits for it
 * to serve, and adds each environment to project `default`. Its first start runs Unleash's
 * migrations into a fresh schema (a few seconds).
 */
export async function startUnleash(
  environments: string[],
  databaseUrl = testServices().databaseUrl,
): Promise<UnleashServer> {
  const schema = `unleash_${process.pid}_${++started}`;
  const port = await freePort();
  const token = `*:*.sluice-test-${process.pid}-${started}`;
  // from the sources: a benchmark runs this file compiled, and the launcher is not compiled
  const child = spawn(process.execPath, [join(projectRoot(__dirname), 'test', 'support', 'unleash-child.cjs')], {
    env: {
      ...process.env,
      SLUICE_UNLEASH_DATABASE_URL: databaseUrl,
      SLUICE_UNLEASH_SCHEMA: schema,
      SLUICE_UNLEASH_PORT: String(port),
      SLUICE_UNLEASH_ADMIN_TOKEN: token,
      SLUICE_UNLEASH_ENVIRONMENTS: environments.join(','),
      NODE_OPTIONS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Unleash did not start within 90 s: ${stderr}`));
    }, 90_000);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"ready":true')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Unleash exited (${code}) before it served: ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  for (const environment of environments) {
    const res = await fetch(`${url}/api/admin/projects/default/environments`, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({ environment }),
    });
    if (!res.ok && res.status !== 409)
      throw new Error(`adding ${environment} to Unleash: ${res.status} ${await res.text()}`);
  }
  return {
    url,
    token,
    environments,
    async stop() {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await db.end();
      }
    },
  };
}

/** An Unleash flag state: enabled, with one gradual rollout to `rollout` percent. */
export function flagState(rollout: number, enabled = true): Record<string, unknown> {
  return {
    enabled,
    strategies: [
      { name: 'flexibleRollout', parameters: { rollout: String(rollout), stickiness: 'default', groupId: 'checkout' } },
    ],
  };
}
