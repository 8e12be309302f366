import { execFileSync } from 'node:child_process';
import { startAppStack, type AppStack } from '../support/app-stack';
import { startRollout, waitForApproval, waitForRollout } from '../support/fixtures';
import { createBareRepo, type BareRepo } from '../support/git-repo';
import { graphql } from '../support/graphql-client';

const REGIONS = ['gt-canary-1', 'gt-west-1', 'gt-west-2', 'gt-east-1', 'gt-east-2', 'gt-south-1'];

/** GitOps end to end: every region is a file in one repository, pushed by the real git CLI. */
describe('regions that are files in a git repository, end to end', () => {
  let stack: AppStack;
  let repo: BareRepo;
  const service = `git-${Date.now()}`;
  const path = (region: string) => `regions/${region}/${service}.json`;
  const fileAt = (region: string) =>
    JSON.parse(
      execFileSync('git', ['show', `main:${path(region)}`], {
        cwd: repo.url.slice('file://'.length),
        encoding: 'utf8',
      }),
    ) as unknown;

  beforeAll(async () => {
    repo = createBareRepo();
    stack = await startAppStack({ regions: ['unused'] });
    const res = await graphql(
      stack.gateway.url,
      'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      {
        input: {
          name: service,
          regions: REGIONS.map((name, i) => ({
            name,
            endpoint: repo.endpoint(path(name)),
            tier: i === 0 ? 'CANARY' : 'STANDARD',
          })),
        },
      },
      'admin',
    );
    expect(res.errors).toBeUndefined();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    repo?.remove();
  });

  const strategy = { canaryMaxShare: 0.2, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false };

  it('commits the config of every region, wave by wave, one commit per region with its version', async () => {
    const id = await startRollout(stack, { service, version: 'g1', config: { flag: 'on' }, strategy });
    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED']);
    expect(done.status).toBe('SUCCEEDED');
    for (const region of REGIONS) {
      expect(fileAt(region)).toEqual({ flag: 'on' });
      expect(repo.log(path(region)).match(/^sluice: .*$/gm)).toEqual([`sluice: ${path(region)} → g1`]);
    }
    // each commit names the rollout and who asked for it, as trailers beside the version
    expect(repo.log(path('gt-canary-1'))).toContain(`Sluice-Rollout: ${id}\nSluice-Actor: alice\nSluice-Version: g1`);
  });

  it('a halt puts back every file it changed with a new commit, never a force push', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'g2',
      config: { flag: 'off' },
      strategy: { ...strategy, approvalAfterCanary: true },
    });
    await waitForApproval(stack, id);
    expect(fileAt('gt-canary-1')).toEqual({ flag: 'off' });
    const halted = await graphql<{ haltRollout: { outcome: string } }>(
      stack.gateway.url,
      `mutation { haltRollout(id: "${id}", reason: "git spec") { outcome } }`,
      {},
      'carol',
    );
    expect(halted.data?.haltRollout.outcome).toBe('HALTED');
    expect((await waitForRollout(stack, id, ['ROLLED_BACK', 'ROLLBACK_FAILED', 'SUCCEEDED'])).status).toBe(
      'ROLLED_BACK',
    );
    for (const region of REGIONS) expect(fileAt(region)).toEqual({ flag: 'on' });
    // the canary's history: g1, then g2, then g1 again, each its own commit
    expect(repo.log(path('gt-canary-1')).match(/^sluice: .*$/gm)).toEqual([
      `sluice: ${path('gt-canary-1')} → g1`,
      `sluice: ${path('gt-canary-1')} → g2`,
      `sluice: ${path('gt-canary-1')} → g1`,
    ]);
    // the restore's commit names the rollout it undoes
    expect(repo.log(path('gt-canary-1'))).toContain(
      `Sluice-Rollout: ${id}\nSluice-Actor: sluice (rollback)\nSluice-Version: g1`,
    );
  });
});
