import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';
import { stopChild } from '../../libs/platform/src/monitoring-servers';

const SSHD = process.env.SLUICE_SSHD_BIN ?? '/usr/sbin/sshd';

export const sshdInstalled = () => existsSync(SSHD);

/**
 * A real OpenSSH server on a loopback port of its own, for the git target over ssh://: it
 * admits one client key, as the user running the tests, and nothing else.
 */
export interface SshServer {
  port: number;
  user: string;
  /** The key sshd admits, and one it does not. */
  clientKeyFile: string;
  clientKey: string;
  strangerKeyFile: string;
  /** `[127.0.0.1]:port <host key>`: trust this server and no other. */
  knownHostsFile: string;
  stop(): Promise<void>;
}

export async function startSshServer(): Promise<SshServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sshd-'));
  const file = (name: string) => join(dir, name);
  const keygen = (name: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file(name)]);
  keygen('host');
  keygen('client');
  keygen('stranger');
  writeFileSync(file('authorized_keys'), readFileSync(file('client.pub')), { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    file('known_hosts'),
    `[127.0.0.1]:${port} ${readFileSync(file('host.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  writeFileSync(
    file('sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${file('host')}`,
      `AuthorizedKeysFile ${file('authorized_keys')}`,
      `PidFile ${file('sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
    ].join('\n'),
  );
  // as root, sshd wants its privilege-separation folder
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn(SSHD, ['-D', '-e', '-f', file('sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start on 127.0.0.1:${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    user: userInfo().username,
    clientKeyFile: file('client'),
    clientKey: readFileSync(file('client'), 'utf8'),
    strangerKeyFile: file('stranger'),
    knownHostsFile: file('known_hosts'),
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
