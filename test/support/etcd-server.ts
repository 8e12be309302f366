import { Etcd3 } from 'etcd3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';

/** CI sets it, so a machine without etcd fails the target specs there instead of skipping them. */
export const REQUIRE_TARGETS = 'SLUICE_REQUIRE_TARGETS';

const etcdBinary = () => process.env.SLUICE_ETCD_BIN ?? 'etcd';

export function etcdInstalled(): boolean {
  const bin = etcdBinary();
  if (bin.includes('/')) return existsSync(bin);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, bin)));
}

/** A real etcd (Debian's etcd-server) on loopback ports of its own, with a throwaway data dir. */
export interface EtcdServer {
  /** `127.0.0.1:port` of its client URL. */
  address: string;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdServer> {
  const [client, peer] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-etcd-'));
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child: ChildProcess = spawn(
    etcdBinary(),
    [
      '--name=sluice-test',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=sluice-test=${peerUrl}`,
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => (stderr += `\n${err.message}`));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`etcd exited before it answered (is etcd-server installed?): ${stderr}`);
    }
    const healthy = await fetch(`${clientUrl}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`etcd did not answer /health within 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address: `127.0.0.1:${client}`,
    async stop() {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real etcd with authentication on: `root` (a password of its own) and `user` with `password`,
 * whose role reads and writes every key. A client without the password is refused.
 */
export async function startEtcdWithAuth(user: string, password: string): Promise<EtcdServer> {
  const server = await startEtcd();
  const admin = new Etcd3({ hosts: `http://${server.address}` });
  try {
    await admin.role('root').create();
    await admin.user('root').create(`${password}-root`);
    await admin.user('root').addRole('root');
    const role = await admin.role('sluice-rw').create();
    await role.grant({ permission: 'Readwrite', range: admin.range({ prefix: '' }) });
    await admin.user(user).create(password);
    await admin.user(user).addRole('sluice-rw');
    await admin.auth.authEnable();
  } finally {
    admin.close();
  }
  return server;
}
