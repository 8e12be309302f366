/**
 * `npm run bench:targets [-- --quick]`: what each deployment target kind costs, on its real
 * server (region-sim for http, Debian's etcd, a bare git repository with the git CLI, the
 * unleash-server package on an embedded PostgreSQL, a kube-apiserver built from source),
 * through the client the worker uses.
 *
 * Per kind: apply plus verify of one region (a push conditioned on the revision read, then
 * the read-back the push activity checks), sequential, p50 and p99; a 50-region wave pushed and
 * verified at once, as a wave's push activities run; and those 50 regions restored at once.
 *
 * Floor, same servers, same run: a bare client (fetch, etcd3, the git CLI) doing the same
 * writes and the same read-back with no Sluice around them: no read before the write, no
 * condition, no hash check. Writes bench/results/targets-*.json whose top-level `targets`
 * array holds one entry per kind: applyVerifyP50Ms, applyVerifyP99Ms, wave50Ms, restore50Ms
 * and the floor's figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { startRegionSim, type RegionSim } from '../apps/region-sim/src/region-sim';
import { freePort } from '../libs/platform/src/free-port';
import { startDatabase, type Database } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { configHash } from '../libs/targets/src/config-hash';
import { TargetRegistryClient } from '../libs/targets/src/target-registry';
import { startEtcd, type EtcdServer } from '../test/support/etcd-server';
import { createBareRepo, type BareRepo } from '../test/support/git-repo';
import { flagState, startUnleash, type UnleashServer } from '../test/support/unleash';
import {
  createNamespace,
  kubeApiServerInstalled,
  kubeRequest,
  startKubeApiServer,
  type KubeApiServer,
} from '../test/support/kube-apiserver';
import { machineInfo, percentile, publish, runBench } from './bench-report';

const quick = process.argv.includes('--quick');
const WAVE = quick ? 10 : 50;
const SAMPLES = quick ? 20 : 200;
const log = (msg: string) => console.log(`[bench:targets] ${msg}`);

interface Kind {
  kind: string;
  endpoint(region: string): string;
  config(n: number): Record<string, unknown>;
  /** The bare client's write of version n to the region, then its read-back. */
  bare(region: string, n: number): Promise<void>;
}

interface KindFigures {
  kind: string;
  applyVerifyP50Ms: number;
  applyVerifyP99Ms: number;
  wave50Ms: number;
  restore50Ms: number;
  /** The bare client's write and read-back of one region, and of a whole wave at once. */
  floor: { applyVerifyP50Ms: number; applyVerifyP99Ms: number; wave50Ms: number };
}

const ms = (since: number) => Math.round((performance.now() - since) * 10) / 10;
const regionsNamed = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

async function measure(kind: Kind, client: TargetRegistryClient): Promise<KindFigures> {
  // apply + verify, one region, one after another
  const one = kind.endpoint('single');
  const applyVerify: number[] = [];
  let revision = (await client.read(one)).revision;
  for (let i = 0; i < SAMPLES; i++) {
    const config = kind.config(i);
    const started = performance.now();
    const pushed = await client.push(one, `v${i}`, config, revision);
    const read = await client.read(one);
    if (read.version !== `v${i}` || read.configHash !== configHash(config))
      throw new Error(`${kind.kind}: verify failed`);
    applyVerify.push(ms(started));
    revision = pushed.revision;
  }
  // a wave: every region pushed and verified at once, then every one restored to nothing
  const wave = regionsNamed(`${kind.kind}-wave`, WAVE).map((r) => kind.endpoint(r));
  const before = await Promise.all(wave.map((e) => client.read(e)));
  let started = performance.now();
  const pushed = await Promise.all(
    wave.map(async (e, i) => {
      const result = await client.push(e, 'w1', kind.config(1), before[i].revision);
      await client.read(e);
      return result;
    }),
  );
  const wave50Ms = ms(started);
  started = performance.now();
  await Promise.all(
    wave.map(async (e, i) => {
      await client.clear(e, pushed[i].revision);
      await client.read(e);
    }),
  );
  const restore50Ms = ms(started);
  // the floor: the bare client, same writes, same read-back
  const bare: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await kind.bare('bare-single', i);
    bare.push(ms(t));
  }
  started = performance.now();
  await Promise.all(regionsNamed(`${kind.kind}-bare`, WAVE).map((r) => kind.bare(r, 1)));
  return {
    kind: kind.kind,
    applyVerifyP50Ms: percentile(applyVerify, 50),
    applyVerifyP99Ms: percentile(applyVerify, 99),
    wave50Ms,
    restore50Ms,
    floor: { applyVerifyP50Ms: percentile(bare, 50), applyVerifyP99Ms: percentile(bare, 99), wave50Ms: ms(started) },
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const root = projectRoot(__dirname);
  const names = [...regionsNamed('http-wave', WAVE), ...regionsNamed('http-bare', WAVE), 'single', 'bare-single'];
  const unleashEnvironments = [
    ...regionsNamed('unleash-wave', WAVE),
    ...regionsNamed('unleash-bare', WAVE),
    'single',
    'bare-single',
  ];
  log(`starting region-sim, etcd, a bare git repository, PostgreSQL and Unleash (${WAVE}-region waves)`);
  const sim: RegionSim = await startRegionSim({ regions: names, port: 0, traffic: false });
  const etcd: EtcdServer = await startEtcd();
  const raw = new Etcd3({ hosts: `http://${etcd.address}` });
  const repo: BareRepo = createBareRepo();
  const database: Database = await startDatabase({
    dataDir: mkdtempSync(join(tmpdir(), 'sluice-bench-targets-pg-')),
    port: await freePort(),
    persistent: false,
    env: {},
  });
  const unleash: UnleashServer = await startUnleash(unleashEnvironments, database.url);
  process.env.SLUICE_BENCH_UNLEASH_TOKEN = unleash.token;
  // the git floor: a working clone of its own, one commit and push per write, then a read of the file
  const gitWork = mkdtempSync(join(tmpdir(), 'sluice-bench-git-floor-'));
  execFileSync('git', ['clone', '-q', repo.url, gitWork]);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], {
      cwd: gitWork,
      encoding: 'utf8',
    });
  let gitQueue: Promise<unknown> = Promise.resolve();
  const unleashHeaders = { authorization: unleash.token, 'content-type': 'application/json' };
  const unleashEnv = (environment: string) =>
    `${unleash.url}/api/admin/projects/default/features/bench-bare/environments/${environment}`;
  await fetch(`${unleash.url}/api/admin/projects/default/features`, {
    method: 'POST',
    headers: unleashHeaders,
    body: JSON.stringify({ name: 'bench-bare', type: 'release' }),
  });
  const kinds: Kind[] = [
    {
      kind: 'http',
      endpoint: (r) => `${sim.url}/regions/${r}`,
      config: (n) => ({ release: n, limits: { rps: 100 } }),
      async bare(region, n) {
        const url = `${sim.url}/regions/${region}/config`;
        const put = await fetch(url, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ version: `b${n}`, config: { release: n, limits: { rps: 100 } } }),
        });
        await put.arrayBuffer();
        await (await fetch(url)).arrayBuffer();
      },
    },
    {
      kind: 'etcd',
      endpoint: (r) => `etcd://${etcd.address}/bench/${r}`,
      config: (n) => ({ release: n, limits: { rps: 100 } }),
      async bare(region, n) {
        await raw.put(`bench-bare/${region}`).value(JSON.stringify({ version: `b${n}`, config: { release: n } }));
        await raw.get(`bench-bare/${region}`).string();
      },
    },
    {
      kind: 'git',
      endpoint: (r) => repo.endpoint(`regions/${r}.json`),
      config: (n) => ({ release: n, limits: { rps: 100 } }),
      bare(region, n) {
        // one working clone: writes take turns, as Sluice's do on one remote and branch
        const write = gitQueue.then(() => {
          const path = `bare/${region}.json`;
          // the branch moves under Sluice's own commits: a bare client fetches first too
          git('pull', '-q', '--rebase', 'origin', 'main');
          mkdirSync(dirname(join(gitWork, path)), { recursive: true });
          writeFileSync(join(gitWork, path), `${JSON.stringify({ release: n }, null, 2)}\n`);
          git('add', path);
          git('commit', '-q', '-m', `bare ${path} → b${n}`);
          git('push', '-q', 'origin', 'HEAD:main');
          git('show', `HEAD:${path}`);
        });
        gitQueue = write.catch(() => undefined);
        return write;
      },
    },
    {
      kind: 'unleash',
      endpoint: (r) => `unleash+${unleash.url}?flag=bench&environment=${r}&tokenEnv=SLUICE_BENCH_UNLEASH_TOKEN`,
      config: (n) => flagState(n % 100),
      async bare(region, n) {
        // the same state: one strategy (added once, then updated), switched on, read back
        const state = (await (await fetch(unleashEnv(region), { headers: unleashHeaders })).json()) as {
          strategies: Array<{ id: string }>;
        };
        const strategy = { ...(flagState(n % 100).strategies as object[])[0], title: `bare:${n}` };
        const id = state.strategies[0]?.id;
        const write = await fetch(id ? `${unleashEnv(region)}/strategies/${id}` : `${unleashEnv(region)}/strategies`, {
          method: id ? 'PUT' : 'POST',
          headers: unleashHeaders,
          body: JSON.stringify(strategy),
        });
        await write.arrayBuffer();
        await (await fetch(`${unleashEnv(region)}/on`, { method: 'POST', headers: unleashHeaders })).arrayBuffer();
        await (await fetch(unleashEnv(region), { headers: unleashHeaders })).arrayBuffer();
      },
    },
  ];
  // Kubernetes: a real kube-apiserver, built by scripts/build-kube-apiserver.sh (CI builds it first)
  let kube: KubeApiServer | undefined;
  if (kubeApiServerInstalled()) {
    kube = await startKubeApiServer();
    await createNamespace(kube, 'bench');
    process.env.SLUICE_BENCH_KUBE_TOKEN = kube.adminToken;
    const server = kube;
    kinds.push({
      kind: 'kubernetes',
      endpoint: (r) =>
        `kubernetes+${server.url}/namespaces/bench/configmaps/${r}?tokenEnv=SLUICE_BENCH_KUBE_TOKEN&caFile=${server.caFile}`,
      config: (n) => ({ release: n, limits: { rps: 100 } }),
      async bare(region, n) {
        // a server-side apply of the same ConfigMap, then its read-back
        const path = `/api/v1/namespaces/bench/configmaps/bare-${region}`;
        const body = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `bare-${region}` },
          data: { 'config.json': JSON.stringify({ release: n, limits: { rps: 100 } }) },
        };
        await kubeRequest(
          server,
          'PATCH',
          `${path}?fieldManager=bench&force=true`,
          body,
          'application/apply-patch+yaml',
        );
        await kubeRequest(server, 'GET', path);
      },
    });
  } else {
    log('kubernetes: skipped, kube-apiserver is not built (bash scripts/build-kube-apiserver.sh, about 10 min)');
  }
  const client = new TargetRegistryClient();
  const figures: KindFigures[] = [];
  try {
    for (const kind of kinds) {
      log(`${kind.kind}: ${SAMPLES} applies, a ${WAVE}-region wave and its restore, then the bare client`);
      const f = await measure(kind, client);
      log(
        `${kind.kind}: apply+verify p50 ${f.applyVerifyP50Ms} ms (bare ${f.floor.applyVerifyP50Ms}), wave ${f.wave50Ms} ms (bare ${f.floor.wave50Ms}), restore ${f.restore50Ms} ms`,
      );
      figures.push(f);
    }
  } finally {
    client.close();
    raw.close();
    await unleash.stop();
    await kube?.stop();
    await database.stop();
    await etcd.stop();
    await sim.close();
    repo.remove();
    rmSync(gitWork, { recursive: true, force: true });
  }
  publish(
    root,
    {
      name: 'targets',
      startedAt,
      machine: machineInfo({ etcd: execFileSync('etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0] }),
      parameters: { quick, waveRegions: WAVE, samplesPerKind: SAMPLES },
      results: { targets: figures },
      // the top-level `targets`: one entry per kind, its figures beside what the report compares
      targets: figures.map((f) => ({
        ...f,
        what: `${f.kind}: apply+verify p50 against the bare client's write+read`,
        target: 'reported (Sluice reads before it writes, conditions the write and checks the hash)',
        measured: `${f.applyVerifyP50Ms} ms vs ${f.floor.applyVerifyP50Ms} ms (${(f.applyVerifyP50Ms / f.floor.applyVerifyP50Ms).toFixed(1)}×)`,
        met: Number.isFinite(f.applyVerifyP50Ms),
      })),
      notes: [
        'The wave and the restore run every region at once, as a wave’s push activities and a rollback’s restores do; git serialises writes on one remote and branch, as Sluice does.',
        'Unleash’s per-push cost is several Admin API calls: the state and the event log are read before the write (the revision), the strategies written, the environment switched, then read back.',
        `wave50Ms and restore50Ms are measured with ${WAVE} regions${quick ? ' (quick run)' : ''}.`,
      ],
    },
    log,
  );
}

runBench(main);
