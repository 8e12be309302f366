import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorCode, gitEndpointProblem, SluiceError } from '../../domain/src';
import { configHash } from './config-hash';
import { resolveSecret } from './secret-reference';
import type {
  ChangeContext,
  HealthResult,
  ProbeResponse,
  PushResult,
  RegionClient,
  RegionConfigState,
} from './region-client';

/** A value as one trailer line: no line breaks, at most 200 characters. */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ').slice(0, 200);

/**
 * A region whose config is one file in a git repository (GitOps, docs/TARGETS.md). The endpoint
 * is `git+<remote>?branch=<branch>&path=<file>`, e.g.
 * `git+file:///srv/config.git?branch=main&path=regions/eu-1/payments.json`. The file holds the
 * config itself (what the deploying tool reads); the version is the `Sluice-Version:` trailer of
 * the newest commit that set it. The revision is the number of commits that touched or named
 * the file, which only grows, since Sluice never rewrites history: every push and every restore
 * is a new commit. A push the remote rejects because the branch moved is rebased and retried;
 * only a commit that touched the same file is REGION_CHANGED.
 */
interface GitTarget {
  remote: string;
  branch: string;
  path: string;
  /** For an http(s) remote with a token: the reference (for messages) and the git config that sends it. */
  auth?: { from: string; env: Record<string, string> };
}

const GIT_TIMEOUT_MS = 20_000;
/** The trailer naming the file a Sluice commit sets, so that an empty commit still counts. */
const PATH_TRAILER = 'Sluice-Path';
const PUSH_ATTEMPTS = 5;

export function parseGitEndpoint(endpoint: string): GitTarget {
  const match = /^git\+([^?]+)\?(.*)$/.exec(endpoint);
  if (!match) throw new SluiceError(ErrorCode.BadUserInput, 'a git endpoint is git+<remote>?branch=<b>&path=<file>');
  // the same checks as registerService's, for an endpoint that reached here another way
  const problem = gitEndpointProblem(endpoint);
  if (problem) throw new SluiceError(ErrorCode.BadUserInput, problem);
  const query = new URLSearchParams(match[2]);
  const target: GitTarget = { remote: match[1], branch: query.get('branch') ?? 'main', path: query.get('path') ?? '' };
  const token = resolveSecret(query, { env: 'tokenEnv', file: 'tokenFile' }, 'git token');
  if (token) {
    const user = decodeURIComponent(new URL(match[1]).username) || 'sluice';
    const basic = Buffer.from(`${user}:${token.value}`).toString('base64');
    // sent as a header through git's environment: never on a command line, in a URL or in
    // .git/config; appended after any GIT_CONFIG_* the worker was given (a CA file, a proxy)
    const n = Number(process.env.GIT_CONFIG_COUNT ?? 0) || 0;
    target.auth = {
      from: token.from,
      env: {
        GIT_CONFIG_COUNT: String(n + 1),
        [`GIT_CONFIG_KEY_${n}`]: 'http.extraHeader',
        [`GIT_CONFIG_VALUE_${n}`]: `Authorization: Basic ${basic}`,
      },
    };
  }
  const sshKey = resolveSecret(query, { env: 'sshKeyEnv', file: 'sshKeyFile' }, 'git SSH key');
  if (sshKey) {
    // ssh reads the key from a file: a key given in a variable is written to a private one
    const keyFile = query.get('sshKeyFile') ?? privateKeyFile(query.get('sshKeyEnv')!, sshKey.value);
    const knownHosts = query.get('knownHostsFile');
    const options = ['-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'];
    if (knownHosts) options.push('-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes');
    target.auth = { from: sshKey.from, env: { GIT_SSH_COMMAND: ['ssh', ...options].map(shellQuote).join(' ') } };
  }
  return target;
}

/** Keys from variables, written once per process to 0600 files in a 0700 folder, by variable and content. */
const keyFiles = new Map<string, string>();

function privateKeyFile(variable: string, key: string): string {
  const id = `${variable}:${createHash('sha256').update(key).digest('hex')}`;
  let path = keyFiles.get(id);
  if (!path) {
    path = join(mkdtempSync(join(tmpdir(), 'sluice-ssh-')), 'key');
    writeFileSync(path, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
    keyFiles.set(id, path);
  }
  return path;
}

const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

class GitError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

function git(cwd: string, args: string[], auth?: GitTarget['auth']): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      // a redirect could send the remote's token, or Sluice's writes, to another host
      ['-c', 'http.followRedirects=false', ...args],
      {
        cwd,
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 'Sluice',
          GIT_AUTHOR_EMAIL: 'sluice@localhost',
          GIT_COMMITTER_NAME: 'Sluice',
          GIT_COMMITTER_EMAIL: 'sluice@localhost',
          ...auth?.env,
        },
      },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new GitError(
              `git ${args[0]} failed: ${(stderr.trim() || stdout.trim()).split('\n').slice(-2).join(' ')}`,
              stderr,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

export class GitRegionClient implements RegionClient {
  /** One working clone per remote and branch, and one operation at a time on each. */
  private readonly queues = new Map<string, Promise<unknown>>();

  private readonly workRoot: string;

  /** Working clones live under a folder of this client's own, removed by close(). */
  constructor(parent = tmpdir()) {
    this.workRoot = join(parent, `sluice-git-${process.pid}-${randomUUID().slice(0, 8)}`);
  }

  read(endpoint: string): Promise<RegionConfigState> {
    const target = parseGitEndpoint(endpoint);
    return this.serial(target, async (dir) => {
      await this.fetch(dir, target);
      return this.stateAt(dir, target, endpoint);
    });
  }

  push(
    endpoint: string,
    version: string,
    config: Record<string, unknown>,
    ifRevision?: number,
    change?: ChangeContext,
  ): Promise<PushResult> {
    const target = parseGitEndpoint(endpoint);
    const hash = configHash(config);
    return this.serial(target, async (dir) => {
      for (let attempt = 1; ; attempt++) {
        await this.fetch(dir, target);
        const current = await this.stateAt(dir, target, endpoint);
        if (current.version === version && current.configHash === hash) {
          return { ...current, previousVersion: current.version, changed: false };
        }
        if (ifRevision !== undefined && current.revision !== ifRevision)
          throw changed(target, ifRevision, current.revision);
        await this.commitOnRemoteHead(dir, target, `${JSON.stringify(config, null, 2)}\n`, version, change);
        if (await this.pushed(dir, target, attempt)) {
          return { ...(await this.stateAt(dir, target, endpoint)), previousVersion: current.version, changed: true };
        }
        // the branch moved: fetch again; a commit to this file since the read is REGION_CHANGED
        ifRevision ??= current.revision;
      }
    });
  }

  clear(endpoint: string, ifRevision?: number, change?: ChangeContext): Promise<RegionConfigState> {
    const target = parseGitEndpoint(endpoint);
    return this.serial(target, async (dir) => {
      for (let attempt = 1; ; attempt++) {
        await this.fetch(dir, target);
        const current = await this.stateAt(dir, target, endpoint);
        if (ifRevision !== undefined && current.revision !== ifRevision)
          throw changed(target, ifRevision, current.revision);
        if (current.version === null) return current;
        await this.commitOnRemoteHead(dir, target, null, null, change);
        if (await this.pushed(dir, target, attempt)) return this.stateAt(dir, target, endpoint);
        ifRevision ??= current.revision;
      }
    });
  }

  health(endpoint: string): Promise<HealthResult> {
    const target = parseGitEndpoint(endpoint);
    return this.serial(target, async (dir) => {
      const head = await git(dir, ['ls-remote', '--heads', 'origin', target.branch], target.auth).catch(
        (err: unknown) => {
          throw unreachable(target, err);
        },
      );
      return {
        healthy: head.trim() !== '',
        status: 200,
        detail: head.trim() ? `branch ${target.branch} found` : 'no branch',
      };
    });
  }

  probe(endpoint: string): Promise<ProbeResponse> {
    return Promise.reject(
      new SluiceError(
        ErrorCode.GateMisconfigured,
        `${endpoint.split('?')[0]} is a git file: a probe gate needs an HTTP endpoint`,
      ),
    );
  }

  close(): void {
    rmSync(this.workRoot, { recursive: true, force: true, maxRetries: 3 });
  }

  private serial<T>(target: GitTarget, work: (dir: string) => Promise<T>): Promise<T> {
    const id = createHash('sha256').update(`${target.remote}\n${target.branch}`).digest('hex').slice(0, 16);
    const dir = join(this.workRoot, id);
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        if (!existsSync(join(dir, '.git'))) {
          mkdirSync(dir, { recursive: true });
          await git(dir, ['init', '-q']);
          await git(dir, ['remote', 'add', 'origin', target.remote]);
        }
        return work(dir);
      });
    this.queues.set(id, next);
    return next;
  }

  private async fetch(dir: string, target: GitTarget): Promise<void> {
    try {
      await git(
        dir,
        ['fetch', '-q', '--no-tags', 'origin', `+refs/heads/${target.branch}:refs/remotes/origin/${target.branch}`],
        target.auth,
      );
    } catch (err) {
      throw unreachable(target, err);
    }
  }

  private async stateAt(dir: string, target: GitTarget, endpoint: string): Promise<RegionConfigState> {
    const ref = `origin/${target.branch}`;
    const head = await this.lastCommit(dir, ref, target.path);
    const region = endpoint.split('?')[0];
    if (!head) return { region, version: null, config: null, configHash: null, revision: 0 };
    const { sha, revision } = head;
    const text = await git(dir, ['show', `${ref}:${target.path}`]).catch(() => null);
    if (text === null) return { region, version: null, config: null, configHash: null, revision };
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch {
      throw protocol(target, 'the file is not JSON');
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw protocol(target, 'not a JSON object');
    const message = await git(dir, ['log', '-1', '--format=%B', sha]);
    const trailer = /^Sluice-Version: (.+)$/m.exec(message)?.[1]?.trim();
    // a commit by hand carries no trailer: its version is its commit, never one of Sluice's
    const version = trailer ?? `git:${sha.slice(0, 12)}`;
    const typed = config as Record<string, unknown>;
    return { region, version, config: typed, configHash: configHash(typed), revision };
  }

  /**
   * The newest commit that set the file, and how many did: those that touched it, and Sluice's
   * own that name it in a `Sluice-Path:` trailer. A new version whose config is the one the file
   * already holds changes no byte, so its commit is empty and only the trailer links it to the file.
   */
  private async lastCommit(dir: string, ref: string, path: string): Promise<{ sha: string; revision: number } | null> {
    const lines = (text: string) => text.split('\n').filter(Boolean);
    const touched = lines(await git(dir, ['rev-list', ref, '--', path]));
    const marked = lines(
      await git(dir, [
        'rev-list',
        '-E',
        `--grep=^${PATH_TRAILER}: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
        ref,
      ]),
    );
    const revision = new Set([...touched, ...marked]).size;
    if (revision === 0) return null;
    const [byContent, byTrailer] = [touched[0], marked[0]];
    if (!byContent || !byTrailer || byContent === byTrailer) return { sha: byContent ?? byTrailer, revision };
    // both: the one that descends from the other is the newer (history has no branches of Sluice's)
    const trailerFirst = await git(dir, ['merge-base', '--is-ancestor', byTrailer, byContent]).then(
      () => true,
      () => false,
    );
    return { sha: trailerFirst ? byContent : byTrailer, revision };
  }

  /**
   * A commit on top of the remote branch: the file's new content (null: removed), with the
   * version, and the rollout and actor when known, as trailers.
   */
  private async commitOnRemoteHead(
    dir: string,
    target: GitTarget,
    content: string | null,
    version: string | null,
    change?: ChangeContext,
  ) {
    await git(dir, ['checkout', '-q', '-B', target.branch, `origin/${target.branch}`]);
    const file = join(dir, target.path);
    if (content === null) {
      await git(dir, ['rm', '-q', '--', target.path]);
    } else {
      mkdirSync(dirname(file), { recursive: true });
      await writeFile(file, content);
      await git(dir, ['add', '--', target.path]);
    }
    const subject = content === null ? `sluice: remove ${target.path}` : `sluice: ${target.path} → ${version}`;
    const trailers = [
      `${PATH_TRAILER}: ${oneLine(target.path)}`,
      ...(change ? [`Sluice-Rollout: ${oneLine(change.rolloutId)}`, `Sluice-Actor: ${oneLine(change.actor)}`] : []),
      content === null ? 'Sluice-Version: (none)' : `Sluice-Version: ${version}`,
    ];
    // empty when the new version's config is the one the file holds: the trailers still record it
    await git(dir, ['commit', '-q', '--allow-empty', '-m', subject, '-m', trailers.join('\n')]);
  }

  /** Pushes the commit; false when the branch moved (rebase and retry), up to PUSH_ATTEMPTS. */
  private async pushed(dir: string, target: GitTarget, attempt: number): Promise<boolean> {
    try {
      await git(dir, ['push', '-q', 'origin', `HEAD:refs/heads/${target.branch}`], target.auth);
      await this.fetch(dir, target);
      return true;
    } catch (err) {
      const rejected = err instanceof GitError && /\[rejected\]|non-fast-forward|fetch first/.test(err.stderr);
      if (!rejected) throw unreachable(target, err);
      if (attempt >= PUSH_ATTEMPTS) {
        throw new SluiceError(
          ErrorCode.RegionUnreachable,
          `git push to ${target.branch} was rejected ${attempt} times: the branch keeps moving`,
          { remote: target.remote },
        );
      }
      return false;
    }
  }
}

function changed(target: GitTarget, expected: number, now: number): SluiceError {
  return new SluiceError(
    ErrorCode.RegionChanged,
    `${target.path} on ${target.branch} changed since Sluice read it (${expected} commits touched it then, ${now} now)`,
    { path: target.path, expectedRevision: expected },
  );
}

function unreachable(target: GitTarget, err: unknown): SluiceError {
  const stderr = err instanceof GitError ? err.stderr : '';
  if (
    /Authentication failed|The requested URL returned error: 40[13]|could not read Username|terminal prompts disabled|Permission denied \(publickey/i.test(
      stderr,
    )
  ) {
    const who = target.auth ? `the credentials from ${target.auth.from}` : 'the worker’s own git credentials';
    return new SluiceError(
      ErrorCode.RegionRejectedPush,
      `git remote ${target.remote.replace(/\/\/[^@/]*@/, '//')} refused ${who}`,
      { path: target.path },
    );
  }
  return new SluiceError(
    ErrorCode.RegionUnreachable,
    `git remote ${target.remote.replace(/\/\/[^@/]*@/, '//')} (${target.branch}): ${err instanceof Error ? err.message : String(err)}`,
    { path: target.path },
  );
}

function protocol(target: GitTarget, problem: string): SluiceError {
  return new SluiceError(ErrorCode.RegionProtocol, `${target.path} on ${target.branch}: ${problem}`, {
    path: target.path,
  });
}
