import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ErrorCode, SluiceError, unleashEndpointProblem } from '../../domain/src';
import { configHash } from './config-hash';
import { resolveSecret } from './secret-reference';
import {
  markedStrategies,
  stateOf,
  wantedState,
  type FlagState,
  type RawFlagState,
  type Strategy,
} from './unleash-flag-state';
import {
  responseExcerpt,
  type HealthResult,
  type ProbeResponse,
  type PushResult,
  type RegionClient,
  type RegionConfigState,
} from './region-client';

/**
 * A region that is one feature flag's state in one Unleash environment (a feature enablement,
 * docs/TARGETS.md), through Unleash's Admin API. The endpoint is
 * `unleash+http(s)://host:port[/base]?project=default&flag=<flag>&environment=<env>&tokenEnv=NAME`.
 *
 * - The config is the flag's state in the environment: `{ enabled, strategies: [...] }`, each
 *   strategy as Unleash returns it (`name`, `parameters` as strings, and `constraints`,
 *   `variants`, `segments`, `disabled` when set). A config not already in that form is refused
 *   with its form, so what is read back hashes as what was pushed.
 * - The version is in each strategy's title, `sluice:<version>`: titles only label. A state
 *   Sluice did not write (no such titles) reads as version `unleash-<hash>`, its titles kept in
 *   the config, and a push of that version writes it back exactly, titles and all: a restore.
 *   Disabled with no strategies is "nothing there".
 * - The revision is the id of the newest Unleash event on the flag in this environment. The
 *   Admin API has no conditional write, so a push checks it just before writing: an outside
 *   change is REGION_CHANGED then, and one in the moment between is seen on the read-back.
 */
interface UnleashTarget {
  base: string;
  project: string;
  flag: string;
  environment: string;
  token?: string;
  /** The token's reference, for messages. */
  tokenFrom?: string;
}

const TIMEOUT_MS = 5_000;
/** Events read per page while looking for the environment's newest, and at most this many pages. */
const EVENT_PAGE = 100;
const EVENT_PAGES = 20;
/**
 * Unleash creates a flag, then connects it to the project's environments: a push that finds the
 * flag just created by a parallel push to another environment re-reads its own this often, this
 * many times, before it gives up.
 */
const CONNECT_WAIT_MS = 100;
const CONNECT_READS = 50;

export function parseUnleashEndpoint(endpoint: string): UnleashTarget {
  if (!/^unleash\+https?:/i.test(endpoint))
    throw new SluiceError(ErrorCode.BadUserInput, 'not an unleash+http(s):// endpoint');
  const problem = unleashEndpointProblem(endpoint);
  if (problem) throw new SluiceError(ErrorCode.BadUserInput, problem);
  const url = new URL(endpoint.slice('unleash+'.length));
  const query = url.searchParams;
  const target: UnleashTarget = {
    base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    project: query.get('project') ?? 'default',
    flag: query.get('flag')!,
    environment: query.get('environment')!,
  };
  const token = resolveSecret(query, { env: 'tokenEnv', file: 'tokenFile' }, 'Unleash token');
  if (token) Object.assign(target, { token: token.value, tokenFrom: token.from });
  return target;
}

/** The endpoint as it may be shown: the server, the flag and the environment, no token reference. */
const where = (t: UnleashTarget) => `unleash ${t.base} flag ${t.flag} in ${t.environment}`;

export class UnleashRegionClient implements RegionClient {
  /** One operation at a time per flag and environment in this worker: a write's check and its writes stay together. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly timeoutMs = TIMEOUT_MS) {}

  async read(endpoint: string): Promise<RegionConfigState> {
    const target = parseUnleashEndpoint(endpoint);
    return this.serial(target, () => this.readNow(target));
  }

  /**
   * The state with the revision it is at: the revision read before and after the state, again
   * until they agree, so a state is never paired with a revision from after another write.
   */
  private async readNow(target: UnleashTarget): Promise<RegionConfigState> {
    let revision = await this.revision(target);
    for (let attempt = 1; ; attempt++) {
      const state = await this.flagState(target);
      const after = await this.revision(target);
      if (after === revision || attempt >= 3) return stateOf(where(target), state, after);
      revision = after;
    }
  }

  private serial<T>(target: UnleashTarget, work: () => Promise<T>): Promise<T> {
    const key = `${target.base}\n${target.project}\n${target.flag}\n${target.environment}`;
    const next = (this.queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.queues.set(key, next);
    void next
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  async push(
    endpoint: string,
    version: string,
    config: Record<string, unknown>,
    ifRevision?: number,
  ): Promise<PushResult> {
    const target = parseUnleashEndpoint(endpoint);
    const wanted = wantedState(where(target), version, config);
    return this.serial(target, () => this.pushNow(target, version, config, wanted, ifRevision));
  }

  private async pushNow(
    target: UnleashTarget,
    version: string,
    config: Record<string, unknown>,
    wanted: FlagState,
    ifRevision?: number,
  ): Promise<PushResult> {
    const current = await this.readNow(target);
    const hash = configHash(config);
    if (current.version === version && current.configHash === hash) {
      return { ...current, previousVersion: current.version, changed: false };
    }
    if (ifRevision !== undefined && current.revision !== ifRevision)
      throw changed(target, ifRevision, current.revision);
    await this.write(target, { enabled: wanted.enabled, strategies: markedStrategies(wanted, version) });
    const after = await this.readNow(target);
    if (after.version !== version || after.configHash !== hash) {
      throw new SluiceError(
        ErrorCode.RegionChanged,
        `${where(target)} does not read back as ${version} after the write (reads ${after.version ?? 'nothing'}): someone else wrote it meanwhile`,
        { flag: target.flag, environment: target.environment },
      );
    }
    return { ...after, previousVersion: current.version, changed: true };
  }

  async clear(endpoint: string, ifRevision?: number): Promise<RegionConfigState> {
    const target = parseUnleashEndpoint(endpoint);
    return this.serial(target, async () => {
      if (ifRevision !== undefined) {
        const revision = await this.revision(target);
        if (revision !== ifRevision) throw changed(target, ifRevision, revision);
      }
      await this.write(target, { enabled: false, strategies: [] });
      return this.readNow(target);
    });
  }

  async health(endpoint: string): Promise<HealthResult> {
    const target = parseUnleashEndpoint(endpoint);
    const res = await this.request(target, 'GET', '/health');
    const body = (await res.json().catch(() => null)) as { health?: unknown } | null;
    return { healthy: res.ok, status: res.status, detail: `Unleash health ${String(body?.health ?? res.status)}` };
  }

  /** An Unleash flag has no customer path to probe: its gates read Prometheus. */
  probe(endpoint: string): Promise<ProbeResponse> {
    return Promise.reject(
      new SluiceError(
        ErrorCode.GateMisconfigured,
        `${where(parseUnleashEndpoint(endpoint))} is a feature flag: a probe gate needs an HTTP endpoint (use a prometheus or canary gate)`,
      ),
    );
  }

  close(): void {}

  /** The flag's state in the environment; null when the flag does not exist. */
  private async flagState(target: UnleashTarget): Promise<RawFlagState | null> {
    const res = await this.request(
      target,
      'GET',
      `${this.flagPath(target)}/environments/${encodeURIComponent(target.environment)}`,
    );
    if (res.status === 404) {
      await res.body?.cancel();
      // an unknown environment is a misregistered region; an unknown flag, one never pushed
      if (await this.environmentMissing(target)) {
        throw new SluiceError(
          ErrorCode.RegionRejectedPush,
          `${where(target)}: the environment is not enabled in project ${target.project}`,
        );
      }
      return null;
    }
    const body = await this.json(target, res);
    const state = z
      .object({ enabled: z.boolean(), strategies: z.array(z.record(z.string(), z.unknown())) })
      .safeParse(body);
    if (!state.success)
      throw protocol(target, `its flag state is not { enabled, strategies }: ${state.error.issues[0].message}`);
    return {
      enabled: state.data.enabled,
      strategies: [...state.data.strategies].sort((a, b) => Number(a.sortOrder ?? 0) - Number(b.sortOrder ?? 0)),
    };
  }

  /** Whether the environment is missing from the project (or not enabled in it). */
  private async environmentMissing(target: UnleashTarget): Promise<boolean> {
    const res = await this.request(
      target,
      'GET',
      `/api/admin/environments/project/${encodeURIComponent(target.project)}`,
    );
    if (res.status === 404) {
      await res.body?.cancel();
      return true;
    }
    const body = (await this.json(target, res)) as { environments?: Array<{ name?: string; visible?: boolean }> };
    if (!Array.isArray(body?.environments)) throw protocol(target, 'its project environment list has no environments');
    return !body.environments.some((e) => e.name === target.environment && e.visible !== false);
  }

  /**
   * The newest event's id on the flag in this environment (0 when none): the flag's events,
   * newest first, a page at a time until one is this environment's (Unleash filters events by
   * flag, not by environment; a wave's other environments write between).
   */
  private async revision(target: UnleashTarget): Promise<number> {
    for (let offset = 0; offset < EVENT_PAGES * EVENT_PAGE; offset += EVENT_PAGE) {
      const query = new URLSearchParams({
        feature: `IS:${target.flag}`,
        limit: String(EVENT_PAGE),
        offset: String(offset),
      });
      const res = await this.request(target, 'GET', `/api/admin/search/events?${query}`);
      const body = (await this.json(target, res)) as { events?: Array<{ id?: unknown; environment?: unknown }> };
      if (!Array.isArray(body?.events)) throw protocol(target, 'its event search answered no events list');
      let newest = 0;
      for (const e of body.events) {
        if (e.environment === target.environment && typeof e.id === 'number' && e.id > newest) newest = e.id;
      }
      if (newest > 0) return newest;
      if (body.events.length < EVENT_PAGE) return 0;
    }
    throw protocol(target, `no event of this environment among the flag's newest ${EVENT_PAGES * EVENT_PAGE}`);
  }

  /**
   * Makes the environment's state `state`: off first when it ends off, each strategy updated in
   * place or added, the rest deleted (after adding, so an enabled flag never passes through no
   * strategy), the order set, then on when it ends on. Creates the flag when it does not exist.
   */
  private async write(target: UnleashTarget, state: { enabled: boolean; strategies: Strategy[] }): Promise<void> {
    let current = await this.flagState(target);
    if (current === null) {
      if (state.strategies.length === 0) return;
      await this.createFlag(target);
      current = await this.createdState(target);
    } else if (!(await this.flagInProject(target))) {
      // an archived flag still answers its environments, and refuses only the switch: check first
      throw new SluiceError(
        ErrorCode.RegionRejectedPush,
        `${where(target)}: the flag is archived in project ${target.project}: revive it in Unleash, or push another flag`,
      );
    }
    const env = `${this.flagPath(target)}/environments/${encodeURIComponent(target.environment)}`;
    if (!state.enabled && current.enabled) await this.ok(target, 'POST', `${env}/off`);
    const ids: string[] = [];
    for (const [i, strategy] of state.strategies.entries()) {
      // every field written, title included: Unleash keeps what a PUT leaves out
      const body = {
        title: '',
        constraints: [],
        variants: [],
        segments: [],
        disabled: false,
        ...strategy,
        sortOrder: i,
      };
      const existing = current.strategies[i];
      if (existing && typeof existing.id === 'string') {
        await this.ok(target, 'PUT', `${env}/strategies/${existing.id}`, body);
        ids.push(existing.id);
      } else {
        const added = (await this.ok(target, 'POST', `${env}/strategies`, body)) as { id?: unknown };
        if (typeof added?.id !== 'string') throw protocol(target, 'an added strategy came back without an id');
        ids.push(added.id);
      }
    }
    for (const extra of current.strategies.slice(state.strategies.length)) {
      await this.ok(target, 'DELETE', `${env}/strategies/${String(extra.id)}`);
    }
    if (ids.length > 1) {
      await this.ok(
        target,
        'POST',
        `${env}/strategies/set-sort-order`,
        ids.map((id, sortOrder) => ({ id, sortOrder })),
      );
    }
    // only when off: /on on an environment without an active strategy adds a 100% one
    if (state.enabled && !current.enabled) await this.ok(target, 'POST', `${env}/on`);
    else if (!state.enabled && state.strategies.length > 0) {
      await this.ok(target, 'POST', `${env}/off`);
    }
  }

  /**
   * The state of a flag just created, here or by a parallel push to another environment: re-read
   * while the flag is in the project and not yet connected to this environment.
   */
  private async createdState(target: UnleashTarget): Promise<RawFlagState> {
    for (let read = 1; ; read++) {
      const state = await this.flagState(target);
      if (state !== null) return state;
      if (!(await this.flagInProject(target))) {
        throw new SluiceError(
          ErrorCode.RegionRejectedPush,
          `${where(target)}: the flag cannot be created in project ${target.project}: its name is taken (another project, or archived)`,
        );
      }
      if (read >= CONNECT_READS) {
        throw new SluiceError(
          ErrorCode.RegionRejectedPush,
          `${where(target)}: the flag is in project ${target.project} but not in this environment ${(CONNECT_READS * CONNECT_WAIT_MS) / 1000} s after it was created`,
        );
      }
      await sleep(CONNECT_WAIT_MS);
    }
  }

  /** Whether the flag exists, not archived, in the target's project. */
  private async flagInProject(target: UnleashTarget): Promise<boolean> {
    const res = await this.request(target, 'GET', this.flagPath(target));
    if (res.status === 404) {
      await res.body?.cancel();
      return false;
    }
    await this.json(target, res);
    return true;
  }

  /** Creates the flag; one a parallel push to another environment just created (409) is as good. */
  private async createFlag(target: UnleashTarget): Promise<void> {
    const path = `/api/admin/projects/${encodeURIComponent(target.project)}/features`;
    const res = await this.request(target, 'POST', path, { name: target.flag, type: 'release' });
    const text = responseExcerpt(await res.text());
    if (res.status >= 400 && res.status !== 409) {
      throw new SluiceError(
        ErrorCode.RegionRejectedPush,
        `${where(target)}: creating the flag answered ${res.status}: ${text}`,
      );
    }
  }

  private flagPath(t: UnleashTarget): string {
    return `/api/admin/projects/${encodeURIComponent(t.project)}/features/${encodeURIComponent(t.flag)}`;
  }

  /** A write that must succeed: its JSON answer, or null for an empty one. */
  private async ok(target: UnleashTarget, method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.request(target, method, path, body);
    if (res.status === 404 && /\/strategies\/[^/]+$/.test(path)) {
      await res.body?.cancel();
      throw new SluiceError(
        ErrorCode.RegionChanged,
        `${where(target)}: a strategy Sluice read is gone (${method} answered 404): someone else wrote it meanwhile`,
        { flag: target.flag, environment: target.environment },
      );
    }
    if (res.status >= 400) {
      const text = responseExcerpt(await res.text());
      throw new SluiceError(
        ErrorCode.RegionRejectedPush,
        `${where(target)}: ${method} ${path.replace(/\/api\/admin/, '')} answered ${res.status}: ${text}`,
      );
    }
    const text = await res.text();
    if (text === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      throw protocol(target, `${method} answered ${res.status} with a body that is not JSON`);
    }
  }

  private async json(target: UnleashTarget, res: Response): Promise<unknown> {
    if (!res.ok) {
      throw new SluiceError(
        res.status >= 500 ? ErrorCode.RegionUnreachable : ErrorCode.RegionRejectedPush,
        `${where(target)}: answered ${res.status}`,
      );
    }
    try {
      return await res.json();
    } catch {
      throw protocol(target, `a ${res.status} answer whose body is not JSON`);
    }
  }

  /** One call with a deadline, redirects refused; no answer is REGION_UNREACHABLE, a refused token REGION_REJECTED_PUSH. */
  private async request(target: UnleashTarget, method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${target.base}${path}`, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          accept: 'application/json',
          ...(target.token ? { authorization: target.token } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new SluiceError(ErrorCode.RegionUnreachable, `${where(target)}: no answer to ${method} (${cause})`);
    }
    if (res.status >= 300 && res.status < 400) {
      throw new SluiceError(
        ErrorCode.RegionRejectedPush,
        `${where(target)}: answered a redirect to ${res.headers.get('location') ?? '(no location)'}; redirects are not followed`,
      );
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      const who = target.tokenFrom
        ? `the token from ${target.tokenFrom}`
        : 'no token (name one with ?tokenEnv= or ?tokenFile=)';
      throw new SluiceError(ErrorCode.RegionRejectedPush, `${where(target)}: Unleash refused ${who} (${res.status})`);
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new SluiceError(ErrorCode.RegionUnreachable, `${where(target)}: answered ${res.status} to ${method}`);
    }
    return res;
  }
}

function changed(target: UnleashTarget, expected: number, now: number): SluiceError {
  return new SluiceError(
    ErrorCode.RegionChanged,
    `${where(target)} changed since Sluice read it (event ${now}, read at ${expected})`,
    { flag: target.flag, environment: target.environment, expectedRevision: expected },
  );
}

function protocol(target: UnleashTarget, problem: string): SluiceError {
  return new SluiceError(ErrorCode.RegionProtocol, `${where(target)}: ${problem}`, {
    flag: target.flag,
    environment: target.environment,
  });
}
