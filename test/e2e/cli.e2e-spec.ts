import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startAppStack, type AppStack } from '../support/app-stack';
import { waitForApproval, waitForRollout } from '../support/fixtures';
import { tokenOf } from '../support/test-tokens';

const ROOT = projectRoot(__dirname);
const BIN = join(ROOT, 'bin', 'sluice.js');
const REGIONS = ['cli-canary-1', 'cli-west-1', 'cli-west-2', 'cli-heavy-1'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real `sluice` process (bin/sluice.js, the npm `bin`), as a person runs it: its own
 * config file, no colour (not a terminal), and the environment given.
 */
function sluice(args: string[], env: Record<string, string> = {}, onStdout?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: tmpdir(), // from any folder
      env: { PATH: process.env.PATH ?? '', HOME: home, SLUICE_CONFIG: configFile, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let stack: AppStack;
let dir: string;
let home: string;
let configFile: string;
let server: string;
const as = (principal: string) => ({ SLUICE_TOKEN: tokenOf(principal) });

function serviceYaml(name: string, canaryWeight = 1): string {
  const regions = REGIONS.map((region, i) => {
    const tier = i === 0 ? 'canary' : i === REGIONS.length - 1 ? 'heavy' : 'standard';
    const weight = i === 0 ? canaryWeight : i === REGIONS.length - 1 ? 10 : 5;
    return `  - { name: ${region}, endpoint: ${stack.regionSim.url}/regions/${region}, tier: ${tier}, weight: ${weight} }`;
  });
  return [
    'apiVersion: sluice/v1',
    'kind: Service',
    `name: ${name}`,
    'regions:',
    ...regions,
    'gateTemplates:',
    '  - { kind: probe, name: probe, path: /probe }',
    'rolloutTemplates:',
    '  - name: careful',
    '    strategy: { bakeSeconds: 3, approvalAfterCanary: true, canaryMaxShare: 0.1 }',
    '    gates: [{ ref: probe }]',
    '    gateIntervalSeconds: 1',
    '  - name: slow',
    '    strategy: { bakeSeconds: 600, approvalAfterCanary: false, canaryMaxShare: 0.1 }',
    'recurringFreezes:',
    "  - { cron: '0 3 29 2 *', duration: 1h, timeZone: Europe/Berlin, reason: leap-day maintenance }",
    '',
  ].join('\n');
}

function rolloutYaml(service: string, version: string, template: string): string {
  return [
    'apiVersion: sluice/v1',
    'kind: Rollout',
    `service: ${service}`,
    `version: ${version}`,
    'configFrom: ./config.json',
    `template: ${template}`,
    '',
  ].join('\n');
}

/** The rollout id a `rollout start -o json` printed. */
const startedId = (run: Run) => (JSON.parse(run.stdout) as { id: string }).id;

describe('the sluice CLI against the real stack', () => {
  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
    server = stack.gateway.url;
    dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    home = join(dir, 'home');
    mkdirSync(home);
    configFile = join(home, '.config', 'sluice', 'config.yaml');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ greeting: 'hi' }));
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('login checks the token and stores the context with mode 0600; a bad token or no server is a clear error', async () => {
    const bad = await sluice(['login', '--server', server, '--token', 'not-a-token']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^error UNAUTHENTICATED: /);
    expect(bad.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
    expect(() => statSync(configFile)).toThrow();

    const nowhere = await sluice(['login', '--server', 'http://127.0.0.1:1', '--token', tokenOf('admin')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(
      /^error SERVER_UNREACHABLE: cannot reach the gateway at http:\/\/127\.0\.0\.1:1\/graphql/,
    );

    const ok = await sluice(['login', '--server', server, '--token', tokenOf('admin')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`context "default" saved in ${configFile}`);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(configFile, 'utf8')).toContain(server);

    // the stored context works without flags; SLUICE_TOKEN overrides its token
    expect((await sluice(['rollout', 'list'])).code).toBe(0);
    const refused = await sluice(['rollout', 'list'], { SLUICE_TOKEN: 'wrong' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('UNAUTHENTICATED');
  }, 60_000);

  it('lint, diff and apply: apply is idempotent, and diff shows an edit field by field', async () => {
    const code = join(dir, 'code');
    mkdirSync(code);
    writeFileSync(join(code, 'service.yaml'), serviceYaml('cli-app'));
    writeFileSync(join(code, 'rollout.yaml'), rolloutYaml('cli-app', 'v2', 'careful'));
    writeFileSync(join(code, 'config.json'), JSON.stringify({ greeting: 'hi' }));

    expect(await sluice(['lint', '-f', code])).toMatchObject({ code: 0, stdout: '2 document(s) valid\n' });

    const before = await sluice(['diff', '-f', code]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('service cli-app would be created');

    const first = await sluice(['apply', '-f', code]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('service cli-app created');

    const second = await sluice(['apply', '-f', code]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('service cli-app unchanged');
    expect(await sluice(['diff', '-f', code])).toMatchObject({ code: 0, stdout: 'service cli-app unchanged\n' });

    // the server stored the templates and the recurring freeze, with its next occurrence
    const read = await sluice(['rollout', 'list', '-o', 'json']);
    expect(read.code).toBe(0);

    writeFileSync(join(code, 'service.yaml'), serviceYaml('cli-app', 2));
    const edit = await sluice(['diff', '-f', code]);
    expect(edit.code).toBe(1);
    expect(edit.stdout).toContain('service cli-app would change: 1 change(s)');
    expect(edit.stdout).toContain('~ regions[cli-canary-1].weight: 1 → 2');
    expect((await sluice(['apply', '-f', code])).stdout).toContain('service cli-app updated: 1 change(s)');
    expect((await sluice(['apply', '-f', code])).stdout).toContain('service cli-app unchanged');
  }, 60_000);

  it('plan prints the waves with cumulative exposure; a broken rule is PLAN_INVALID with each violation', async () => {
    const file = join(dir, 'code', 'rollout.yaml');
    const plan = await sluice(['plan', '-f', file]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/WAVE\s+REGIONS\s+BAKE\s+APPROVAL\s+EXPOSURE/);
    expect(plan.stdout).toMatch(/1\s+cli-canary-1\s+3s\s+yes\s+9\.1%/);
    expect(plan.stdout).toContain('plan is valid');

    const broken = await sluice(['plan', 'cli-app', '--strategy', 'canaryMaxShare=0.01']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('PLAN_INVALID');

    writeFileSync(join(dir, 'v9.json'), '{"greeting":"no"}');
    const refused = await sluice(
      [
        'rollout',
        'start',
        'cli-app',
        '--version',
        'v9',
        '--config',
        join(dir, 'v9.json'),
        '--strategy',
        'canaryMaxShare=0.01',
      ],
      as('alice'),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error PLAN_INVALID: the plan breaks \d+ rule\(s\)/);
    expect(refused.stderr).toMatch(/\n {2}PLAN_CANARY_CAP: /);
  }, 60_000);

  it('plan --config checks the redundancy rules on each region’s config; start refuses what plan shows', async () => {
    const spof = join(dir, 'spof');
    mkdirSync(spof, { recursive: true });
    const region = (name: string, more: string) =>
      `  - { name: ${name}, endpoint: ${stack.regionSim.url}/regions/${name}, ${more} }`;
    writeFileSync(
      join(spof, 'service.yaml'),
      [
        'apiVersion: sluice/v1',
        'kind: Service',
        'name: cli-spof',
        'regions:',
        region('cli-canary-1', 'tier: canary, weight: 1'),
        region('cli-west-1', 'tier: standard, weight: 5, pair: cli-west-2'),
        region('cli-west-2', 'tier: standard, weight: 5, pair: cli-west-1'),
        'dependencyFields: [{ path: /database/primary, kind: database }]',
        '',
      ].join('\n'),
    );
    expect((await sluice(['apply', '-f', spof])).stdout).toContain('service cli-spof created');
    const write = (name: string, value: unknown) => {
      writeFileSync(join(spof, name), JSON.stringify(value));
      return join(spof, name);
    };
    const loose = ['--strategy', 'canaryMaxShare=0.1'];
    const base = write('base.json', { database: { primary: 'db-{{region}}' } });
    const onPartner = `cli-west-2=${write('west-2.json', { database: { primary: 'db-cli-west-1' } })}`;

    const own = await sluice(['plan', 'cli-spof', ...loose, '--config', base, '--config-template']);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain('plan is valid');

    const shared = await sluice([
      'plan',
      'cli-spof',
      ...loose,
      '--config',
      base,
      '--config-template',
      '--region-config',
      onPartner,
    ]);
    expect(shared.code).toBe(1);
    expect(shared.stdout).toContain(
      'error SPOF_PAIR_SHARED_DEPENDENCY: cli-west-1 and cli-west-2 are a redundancy pair but would both depend on database "db-cli-west-1"',
    );
    expect(shared.stdout).toContain(
      'error SPOF_CONCENTRATION: 90.9% of the service\'s weight would depend on database "db-cli-west-1"',
    );
    expect(shared.stdout).toContain('PLAN_INVALID: 2 rule(s) broken');

    const refused = await sluice(
      [
        'rollout',
        'start',
        'cli-spof',
        ...loose,
        '--version',
        'v1',
        '--config',
        base,
        '--config-template',
        '--region-config',
        onPartner,
      ],
      as('alice'),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      [
        'error PLAN_INVALID: the config breaks 2 redundancy rule(s)',
        `  SPOF_CONCENTRATION: 90.9% of the service's weight would depend on database "db-cli-west-1" (2 regions: cli-west-1, cli-west-2)`,
        '  SPOF_PAIR_SHARED_DEPENDENCY: cli-west-1 and cli-west-2 are a redundancy pair but would both depend on database "db-cli-west-1" (90.9% of weight)',
        '',
      ].join('\n'),
    );

    const untemplated = await sluice(['plan', 'cli-spof', ...loose, '--config', base]);
    // without --config-template the text reaches every region as written: the rules see one value for all
    expect(untemplated.code).toBe(1);
    expect(untemplated.stdout).toContain(
      'error SPOF_PAIR_SHARED_DEPENDENCY: cli-west-1 and cli-west-2 are a redundancy pair but would both depend on database "db-{{region}}"',
    );
    const malformed = await sluice(['plan', 'cli-spof', ...loose, '--config', base, '--region-config', 'cli-west-2']);
    expect(malformed.code).toBe(3);
    expect(malformed.stderr).toContain('error USAGE: --region-config cli-west-2: use REGION=FILE');
  }, 60_000);

  it('start from a file with a template, watch it live, approve as the approver; it ends SUCCEEDED', async () => {
    const start = await sluice(
      ['rollout', 'start', '-f', join(dir, 'code', 'rollout.yaml'), '-o', 'json'],
      as('alice'),
    );
    expect(start.code).toBe(0);
    const id = startedId(start);

    const frames: string[] = [];
    const watching = sluice(['rollout', 'get', id, '--watch'], as('viewer'), (out) =>
      frames.splice(0, frames.length, ...out.split(/^--- .*$/m)),
    );
    await waitForApproval(stack, id);

    // the requester may not approve their own rollout: FORBIDDEN is a usage/auth exit
    const self = await sluice(['rollout', 'approve', id, '--wave', '1'], as('alice'));
    expect(self.code).toBe(3);
    expect(self.stderr).toMatch(/^error FORBIDDEN: /);

    const approve = await sluice(['rollout', 'approve', id, '--wave', '1', '--comment', 'canary ok'], as('bob'));
    expect(approve.code).toBe(0);
    expect(approve.stdout).toMatch(/ROLLING/);

    const watched = await watching;
    expect(watched.code).toBe(0);
    const shown = watched.stdout.split(/^--- .*$/m).filter((f) => f.trim());
    // the wave advanced under the watcher's eyes, then the final state
    const firstWaveFrame = shown.findIndex((f) => /▶ wave 1/.test(f));
    const laterWaveFrame = shown.findIndex((f) => /▶ wave [2-9]/.test(f));
    expect(firstWaveFrame).toBeGreaterThanOrEqual(0);
    expect(laterWaveFrame).toBeGreaterThan(firstWaveFrame);
    expect(shown.some((f) => /awaiting approval/.test(f))).toBe(true);
    const last = shown[shown.length - 1];
    expect(last).toContain('cli-app → v2  SUCCEEDED');
    expect(last).toContain('approved by bob');
    expect(last).toMatch(/● cli-heavy-1\s+VERIFIED/);
    expect(last).toMatch(/gate probe: PASS/);

    const get = await sluice(['rollout', 'get', 'cli-app']);
    expect(get.stdout.split('\n')[0]).toContain('SUCCEEDED');
    expect(await sluice(['rollout', 'status', id])).toMatchObject({ code: 0, stdout: `${id} SUCCEEDED\n` });
  }, 120_000);

  it('start --wait exits 0 when it succeeds', async () => {
    const run = await sluice(
      [
        'rollout',
        'start',
        'cli-app',
        '--version',
        'v3',
        '--config',
        join(dir, 'config.json'),
        '--strategy',
        'bakeSeconds=1,approvalAfterCanary=false,canaryMaxShare=0.1',
        '--gate-template',
        'probe',
        '--wait',
        '--timeout',
        '90s',
      ],
      { ...as('alice'), SLUICE_SERVER: server },
    );
    expect(run.stderr).toContain('RolloutSucceeded');
    expect(run.code).toBe(0);
  }, 120_000);

  it('pause, resume and abort; status then exits 1, and a halt exits 1 too', async () => {
    writeFileSync(join(dir, 'v4.json'), '{"greeting":"v4"}');
    const start = await sluice(
      [
        'rollout',
        'start',
        'cli-app',
        '--version',
        'v4',
        '--config',
        join(dir, 'v4.json'),
        '--template',
        'slow',
        '-o',
        'json',
      ],
      as('alice'),
    );
    expect(start.code).toBe(0);
    const id = startedId(start);
    await waitForRollout(stack, id, ['ROLLING']);

    const timeout = await sluice(['rollout', 'status', id, '--timeout', '2s']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('timed out after 2s');

    expect((await sluice(['rollout', 'pause', id, '--reason', 'looking'], as('alice'))).stdout).toContain('PAUSED');
    expect((await sluice(['rollout', 'resume', id], as('alice'))).stdout).toContain('ROLLING');
    expect((await sluice(['rollout', 'abort', id, '--reason', 'not today'], as('alice'))).code).toBe(0);
    const aborted = await sluice(['rollout', 'status', id, '--timeout', '60s']);
    expect(aborted).toMatchObject({ code: 1, stdout: `${id} ABORTED\n` });

    writeFileSync(join(dir, 'v5.json'), '{"greeting":"v5"}');
    const next = startedId(
      await sluice(
        [
          'rollout',
          'start',
          'cli-app',
          '--version',
          'v5',
          '--config',
          join(dir, 'v5.json'),
          '--template',
          'slow',
          '-o',
          'json',
        ],
        as('alice'),
      ),
    );
    await waitForRollout(stack, next, ['ROLLING']);
    expect((await sluice(['rollout', 'halt', next, '--reason', 'pager'], as('alice'))).code).toBe(0);
    expect(await sluice(['rollout', 'status', next, '--timeout', '60s'])).toMatchObject({
      code: 1,
      stdout: `${next} ROLLED_BACK\n`,
    });

    const list = await sluice(['rollout', 'list', '--service', 'cli-app', '-o', 'yaml']);
    expect(list.stdout).toMatch(/status: ROLLED_BACK/);
    expect(list.stdout).toMatch(/status: ABORTED/);
  }, 150_000);

  it('changes and customers read the history the rollouts left', async () => {
    const changes = await sluice(['changes', '--region', 'cli-canary-1', '--since', '1h', '-o', 'json']);
    expect(changes.code).toBe(0);
    const rows = JSON.parse(changes.stdout) as Array<{ kind: string; toVersion: string | null; service: string }>;
    expect(rows.filter((r) => r.service === 'cli-app').map((r) => r.kind)).toEqual(
      expect.arrayContaining(['PUSH', 'ROLLBACK']),
    );
    expect(rows.some((r) => r.toVersion === 'v2')).toBe(true);

    const newest = JSON.parse(
      (await sluice(['rollout', 'list', '--service', 'cli-app', '-o', 'json'])).stdout,
    ) as Array<{ id: string }>;
    const csv = await sluice(['customers', newest[newest.length - 1].id, '--csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe(
      'customer,region,exposedFrom,exposedUntil,rolledBack,endedBy,' +
        'rank,exposedSeconds,errorRate,baselineErrorRate,badRequestsEstimate,severity',
    );
  }, 60_000);

  it('a recurring freeze in force fails the rollout at its precheck, in the workflow', async () => {
    const file = join(dir, 'frozen.yaml');
    writeFileSync(
      file,
      serviceYaml('cli-frozen').replace(
        /recurringFreezes:\n.*\n/,
        "recurringFreezes:\n  - { cron: '* * * * *', duration: 10m, timeZone: Asia/Kolkata, reason: always frozen }\n",
      ),
    );
    expect((await sluice(['apply', '-f', file])).stdout).toContain('service cli-frozen created');
    const run = await sluice(
      [
        'rollout',
        'start',
        'cli-frozen',
        '--version',
        'v1',
        '--config',
        join(dir, 'config.json'),
        '--template',
        'slow',
        '--wait',
        '--timeout',
        '60s',
      ],
      as('alice'),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ FAILED\n$/);
    const get = await sluice(['rollout', 'get', 'cli-frozen']);
    expect(get.stdout).toMatch(/stopped: .*frozen from .*: always frozen/);
  }, 90_000);

  it('lint names file, line and column for wrong types, unknown fields, a bad cron and an unknown template', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: sluice/v1',
        'kind: Service',
        'name: broken',
        'regions:',
        '  - name: r1',
        '    endpoint: http://127.0.0.1:1/r1',
        '    weight: heavy',
        '    colour: blue',
        'recurringFreezes:',
        "  - { cron: '0 25 * * *', duration: 1h, reason: nightly }",
        '---',
        'apiVersion: sluice/v1',
        'kind: Rollout',
        'service: broken',
        'version: v1',
        'config: { a: 1 }',
        'template: yolo',
        '',
      ].join('\n'),
    );
    const lint = await sluice(['lint', '-f', file]);
    expect(lint.code).toBe(3);
    expect(lint.stdout.trim().split('\n')).toEqual([
      `${file}:7:13: regions.0.weight: must be number`,
      `${file}:8:5: regions.0.colour: unknown field "colour"`,
      `${file}:10:13: recurringFreezes.0.cron: Invalid value for hour: 25`,
      `${file}:17:11: template: unknown template "yolo": service broken has none`,
    ]);
    // apply refuses the same problems before anything is sent
    const apply = await sluice(['apply', '-f', file]);
    expect(apply.code).toBe(3);
    expect(apply.stderr).toMatch(/^error LINT_FAILED: 4 problem\(s\)/);
  }, 60_000);
});
