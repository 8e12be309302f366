import { execFile } from 'node:child_process';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { configHash } from '../../../libs/targets/src/config-hash';

/**
 * The reference agent (docs/TARGETS.md): the http region contract in front of one config file,
 * so a service on a VM adopts Sluice with no code. Each accepted write replaces the file
 * atomically (a temporary file, then rename) and runs the reload command; a reload that fails
 * puts the previous file back and answers 422, which Sluice does not retry. State (version,
 * revision) lives in a file beside the config, so a restarted agent answers what it served.
 */
export interface FileAgentOptions {
  /** The file the service reads its config from: the config object as JSON. */
  configFile: string;
  /** Where the agent keeps version and revision (default: beside the config file). */
  stateFile?: string;
  /** A shell command run after each write (e.g. `systemctl reload app`); its failure refuses the write. */
  reloadCommand?: string;
  reloadTimeoutMs?: number;
  port?: number;
  host?: string;
}

interface AgentState {
  version: string | null;
  config: Record<string, unknown> | null;
  revision: number;
  previousVersion: string | null;
}

export interface FileAgent {
  url: string;
  close(): Promise<void>;
}

const EMPTY: AgentState = { version: null, config: null, revision: 0, previousVersion: null };

async function atomicWrite(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${Date.now()}-${process.pid}.sluice-tmp`);
  await writeFile(temporary, text, { mode: 0o644 });
  await rename(temporary, path);
}

function runReload(command: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { timeout: timeoutMs }, (err, _stdout, stderr) => {
      resolve(err ? `${err.message.split('\n')[0]}${stderr ? `: ${stderr.trim().slice(0, 300)}` : ''}` : null);
    });
  });
}

export async function startFileAgent(options: FileAgentOptions): Promise<FileAgent> {
  const stateFile = options.stateFile ?? `${options.configFile}.sluice-state.json`;
  let state: AgentState = await readFile(stateFile, 'utf8').then(
    (text) => JSON.parse(text) as AgentState,
    () => ({ ...EMPTY }),
  );
  let queue = Promise.resolve();

  const view = (s: AgentState) => ({
    version: s.version,
    config: s.config,
    configHash: s.config === null ? null : configHash(s.config),
    revision: s.revision,
  });
  const send = (res: ServerResponse, status: number, body: unknown, revision = state.revision) => {
    res.writeHead(status, { 'content-type': 'application/json', etag: `"${revision}"` });
    res.end(JSON.stringify(body));
  };

  /** Writes the config (or removes its content) and reloads; on a failed reload the old file comes back. */
  async function apply(next: AgentState): Promise<string | null> {
    const previousText = await readFile(options.configFile, 'utf8').catch(() => null);
    await atomicWrite(options.configFile, next.config === null ? '{}\n' : `${JSON.stringify(next.config, null, 2)}\n`);
    const failure = options.reloadCommand
      ? await runReload(options.reloadCommand, options.reloadTimeoutMs ?? 30_000)
      : null;
    if (failure) {
      if (previousText !== null) await atomicWrite(options.configFile, previousText);
      else await rm(options.configFile, { force: true });
      return failure;
    }
    await atomicWrite(stateFile, JSON.stringify(next));
    state = next;
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/health' && req.method === 'GET') return send(res, 200, { status: 'ok' });
    if (path !== '/config') return send(res, 404, { code: 'NOT_FOUND', message: `no ${path} here` });
    if (req.method === 'GET') return send(res, 200, view(state));
    if (req.method !== 'PUT' && req.method !== 'DELETE') {
      return send(res, 405, { code: 'METHOD_NOT_ALLOWED', message: `${req.method} /config` });
    }
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*') {
      const match = /^"(\d{1,15})"$/.exec(ifMatch.trim());
      if (!match) return send(res, 400, { code: 'BAD_IF_MATCH', message: 'If-Match must be "<revision>"' });
      if (Number(match[1]) !== state.revision) {
        return send(res, 412, {
          code: 'REVISION_MISMATCH',
          message: `the region is at revision ${state.revision}, not ${match[1]}`,
          revision: state.revision,
        });
      }
    }
    if (req.method === 'DELETE') {
      const failure = await apply({
        version: null,
        config: null,
        revision: state.revision + 1,
        previousVersion: state.version,
      });
      if (failure) return send(res, 422, { code: 'RELOAD_FAILED', message: failure });
      return send(res, 200, view(state));
    }
    let parsed: { version?: unknown; config?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return send(res, 400, { code: 'BAD_REQUEST', message: 'body must be JSON {version, config}' });
    }
    const { version, config } = parsed;
    if (
      typeof version !== 'string' ||
      !version ||
      typeof config !== 'object' ||
      config === null ||
      Array.isArray(config)
    ) {
      return send(res, 400, { code: 'BAD_REQUEST', message: 'body must be {version: string, config: object}' });
    }
    const sameContent = state.config !== null && configHash(state.config) === configHash(config);
    if (state.version === version && !sameContent) {
      return send(res, 409, {
        code: 'VERSION_CONFLICT',
        message: `already serving version ${version} with a different config`,
      });
    }
    const changed = !(state.version === version && sameContent);
    const previousVersion = changed ? state.version : state.previousVersion;
    const next = { version, config: config as Record<string, unknown>, revision: state.revision + 1, previousVersion };
    const failure = changed ? await apply(next) : null;
    if (failure) return send(res, 422, { code: 'RELOAD_FAILED', message: failure });
    // a re-push of the live version moves the revision too (every accepted write does)
    if (!changed) {
      await atomicWrite(stateFile, JSON.stringify(next));
      state = next;
    }
    return send(res, 200, { ...view(state), previousVersion, changed });
  }

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
      if (body.length > 1_048_576) req.destroy();
    });
    req.on('end', () => {
      // one request at a time: a conditional write reads and moves one revision
      queue = queue.then(() =>
        handle(req, res, body).catch((err: unknown) =>
          send(res, 500, { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) }),
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
