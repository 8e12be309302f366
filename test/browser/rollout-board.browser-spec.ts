/// <reference lib="dom" />
import axe from 'axe-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { tokenOf } from '../support/test-tokens';
import { chromiumPath } from './chromium';

const REGIONS = ['ui-canary-1', 'ui-west-1', 'ui-west-2', 'ui-east-1'];
const ARTIFACTS = join(projectRoot(__dirname), 'test-artifacts');

/**
 * The rollout board in a real browser (Debian's chromium, driven by playwright-core) against
 * the real gateway, worker, Temporal and PostgreSQL: a person signs in with a token and watches
 * and steers rollouts, each control shown only to the roles that may use it.
 */
describe('the rollout board in a browser', () => {
  let stack: AppStack;
  let browser: Browser;
  const pages: Page[] = [];
  /** Every request any page made, and every console error or page error. */
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const service = `board-${Date.now()}`;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startAppStack({ regions: REGIONS });
    // the canary serves one customer: the incident page ranks it among the affected
    await registerService(
      stack,
      service,
      REGIONS.map((name, i) => (i === 0 ? { name, tier: 'CANARY' as const, customers: ['Acme Corp'] } : name)),
    );
    // a service whose config names its database: the service page checks a config against the pair
    const deps = await graphql(
      stack.gateway.url,
      `
        mutation ($input: RegisterServiceInput!) {
          registerService(input: $input) {
            name
          }
        }
      `,
      {
        input: {
          name: `${service}-deps`,
          regions: REGIONS.map((name, i) => ({
            name,
            tier: i === 0 ? 'CANARY' : 'STANDARD',
            endpoint: `${stack.regionSim.url}/regions/${name}`,
            ...(name === 'ui-west-1' ? { pair: 'ui-west-2' } : name === 'ui-west-2' ? { pair: 'ui-west-1' } : {}),
          })),
          dependencyFields: [{ path: '/database/primary', kind: 'database' }],
        },
      },
    );
    if (deps.errors) throw new Error(JSON.stringify(deps.errors));
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** A fresh browser context (its own sessionStorage), signed in with the principal's token. */
  const signedIn = async (principal: string, path = '/ui/'): Promise<Page> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    pages.push(page);
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${principal}: ${m.text()}`));
    page.on('pageerror', (e) => consoleErrors.push(`${principal}: ${e.message}`));
    page.on('response', (r) => r.status() >= 400 && consoleErrors.push(`${principal}: ${r.status()} ${r.url()}`));
    await page.goto(`${stack.gateway.url}${path}`);
    await page.getByLabel('API token').fill(tokenOf(principal));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('principal').waitFor();
    return page;
  };

  const cell = (page: Page, region: string) => page.locator(`.cell[data-region="${region}"]`);

  it('signs in with a pasted token, shows who and which roles, and keeps the token in sessionStorage only', async () => {
    const page = await signedIn('alice');
    expect(await page.getByTestId('principal').textContent()).toMatch(/alice\s*\(deployer\)/);
    const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length }));
    expect(stored).toEqual({ session: 1, local: 0 });
    // a wrong token is refused with the gateway's reason, and nothing is kept
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${stack.gateway.url}/ui/`);
    await other.getByLabel('API token').fill('not-a-token');
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.getByRole('alert').waitFor();
    expect(await other.getByRole('alert').textContent()).toMatch(/token/i);
    expect(await other.evaluate(() => sessionStorage.length)).toBe(0);
    await other.context().close();
  });

  it('watches a rollout move through its waves without a reload; the requester cannot approve it, the approver does', async () => {
    const id = await startRollout(
      stack,
      {
        service,
        version: 'v-board-1',
        config: { board: 1 },
        strategy: { canaryMaxShare: 0.3, growthFactor: 4, bakeSeconds: 2, approvalAfterCanary: true },
        waves: [{ regions: ['ui-canary-1'] }, { regions: ['ui-west-1', 'ui-west-2', 'ui-east-1'] }],
        gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
      },
      'admin',
    );
    const requester = await signedIn('admin', `/ui/rollouts/${id}`);
    let navigations = 0;
    requester.on('framenavigated', () => navigations++);
    await cell(requester, 'ui-canary-1').and(requester.locator('[data-state="VERIFIED"]')).waitFor({ timeout: 60_000 });
    const approve = requester.locator('button[data-action="approve"]');
    await approve.waitFor({ timeout: 30_000 });
    expect(await approve.isDisabled()).toBe(true);
    expect(await requester.locator('#why-approve').textContent()).toMatch(/someone else must approve/);
    await requester.screenshot({ path: join(ARTIFACTS, 'rollout-mid-wave.png'), fullPage: true });

    const approver = await signedIn('bob', `/ui/rollouts/${id}`);
    await approver.locator('button[data-action="approve"]:not([disabled])').click();
    await approver.getByLabel('Comment (optional)').fill('canary looks fine');
    await approver.locator('button[data-confirm="approve"]').click();
    expect(await approver.getByTestId('action-answer').textContent()).toMatch(/accepted/);

    // the requester's page follows to the end on its own
    await requester.getByTestId('status').filter({ hasText: 'SUCCEEDED' }).waitFor({ timeout: 60_000 });
    for (const region of ['ui-west-1', 'ui-west-2', 'ui-east-1']) {
      expect(await cell(requester, region).getAttribute('data-state')).toBe('VERIFIED');
    }
    expect(await requester.getByTestId('timeline').textContent()).toContain('bob approved wave 1: “canary looks fine”');
    expect(navigations).toBe(0);
  }, 180_000);

  it('pauses and resumes, then aborts with a reason it requires, and shows the rollback', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v-board-2',
      config: { board: 2 },
      strategy: { canaryMaxShare: 0.3, growthFactor: 4, bakeSeconds: 600, approvalAfterCanary: false },
      waves: [{ regions: ['ui-canary-1'] }, { regions: ['ui-west-1', 'ui-west-2', 'ui-east-1'] }],
    });
    const page = await signedIn('alice', `/ui/rollouts/${id}`);
    await page.getByTestId('bake-countdown').waitFor({ timeout: 60_000 });

    await page.locator('button[data-action="pause"]').click();
    const confirm = page.locator('button[data-confirm="pause"]');
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel('Reason').fill('checking dashboards');
    await confirm.click();
    await page.getByTestId('status').filter({ hasText: 'PAUSED' }).waitFor();
    expect(await page.getByTestId('timeline').textContent()).toContain('paused by alice: checking dashboards');

    await page.locator('button[data-action="resume"]').click();
    await page.locator('button[data-confirm="resume"]').click();
    await page.getByTestId('status').filter({ hasText: 'ROLLING' }).waitFor();

    await page.locator('button[data-action="abort"]').click();
    expect(await page.locator('button[data-confirm="abort"]').isDisabled()).toBe(true);
    await page.getByLabel('Reason').fill('wrong version');
    await page.locator('button[data-confirm="abort"]').click();
    await page.getByTestId('status').filter({ hasText: 'ABORTED' }).waitFor({ timeout: 60_000 });
    expect(await cell(page, 'ui-canary-1').getAttribute('data-state')).toBe('ROLLED_BACK');
    expect(await page.getByTestId('stop-reason').textContent()).toContain('wrong version');
    expect(await page.getByTestId('timeline').textContent()).toMatch(/restored ui-canary-1 to/);
    await page.screenshot({ path: join(ARTIFACTS, 'rollout-rolled-back.png'), fullPage: true });
  }, 180_000);

  it('shows a viewer no controls, and the server refuses a forged one anyway', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v-board-3',
      config: { board: 3 },
      strategy: { canaryMaxShare: 0.3, growthFactor: 4, bakeSeconds: 600, approvalAfterCanary: false },
      waves: [{ regions: ['ui-canary-1'] }, { regions: ['ui-west-1', 'ui-west-2', 'ui-east-1'] }],
    });
    const page = await signedIn('viewer', `/ui/rollouts/${id}`);
    await page.getByTestId('bake-countdown').waitFor({ timeout: 60_000 });
    expect(await page.locator('button[data-action]').count()).toBe(0);
    const forged = await page.evaluate(async (rollout) => {
      const token = sessionStorage.getItem('sluice.token');
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `mutation { pauseRollout(id: "${rollout}", reason: "forged") { status } }` }),
      });
      return ((await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions
        ?.code;
    }, id);
    expect(forged).toBe('FORBIDDEN');
    expect((await waitForRollout(stack, id, ['ROLLING'], 5_000)).status).toBe('ROLLING');
    // clean up for the next spec: the rollout holds the service
    const admin = await signedIn('admin', `/ui/rollouts/${id}`);
    await admin.locator('button[data-action="abort"]').click();
    await admin.getByLabel('Reason').fill('done');
    await admin.locator('button[data-confirm="abort"]').click();
    await admin.getByTestId('status').filter({ hasText: 'ABORTED' }).waitFor({ timeout: 60_000 });
  }, 120_000);

  it('halts a rollout from its page, and the incident page lists it as the suspect', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v-board-4',
      config: { board: 4 },
      strategy: { canaryMaxShare: 0.3, growthFactor: 4, bakeSeconds: 600, approvalAfterCanary: false },
      waves: [{ regions: ['ui-canary-1'] }, { regions: ['ui-west-1', 'ui-west-2', 'ui-east-1'] }],
    });
    const page = await signedIn('alice', `/ui/rollouts/${id}`);
    await page.getByTestId('bake-countdown').waitFor({ timeout: 60_000 });
    await page.locator('button[data-action="halt"]').click();
    await page.getByLabel('Reason').fill('errors up in the canary');
    await page.locator('button[data-confirm="halt"]').click();
    await page.getByTestId('status').filter({ hasText: 'ROLLED_BACK' }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('timeline').textContent()).toContain('errors up in the canary');
    await page.getByRole('link', { name: 'incident insight' }).click();
    await page.getByTestId('suspects').waitFor({ timeout: 30_000 });
    expect(await page.locator(`table.suspects tr[data-rollout="${id}"]`).count()).toBeGreaterThan(0);
    expect(await page.getByTestId('verdict').textContent()).toBeTruthy();

    // the canary's customer, ranked; without Prometheus the severity is UNKNOWN and the note says why
    const acme = page.locator('table.customers tr[data-customer="Acme Corp"]');
    await acme.waitFor({ timeout: 30_000 });
    expect(await acme.locator('td').first().textContent()).toBe('1');
    expect(await acme.locator('.severity').textContent()).toBe('UNKNOWN');
    expect(await acme.getAttribute('title')).toMatch(/^the metrics could not be read/);
    // the download is the gateway's own export
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`affected-customers-${id}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toMatch(/^customer,region,exposed_from,exposed_until,rolled_back,ended_by,rank,/);
    expect(csv[1]).toMatch(/^Acme Corp,ui-canary-1,/);
  }, 120_000);

  it('lists rollouts live, filtered by service and status, each linking to its page', async () => {
    const page = await signedIn('viewer', `/ui/?service=${service}&status=SUCCEEDED`);
    await page.locator('table.rollouts tbody tr').first().waitFor();
    const statuses = await page.locator('table.rollouts .status').allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['SUCCEEDED']));
    await page.locator('table.rollouts a').first().click();
    await page.getByTestId('matrix').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/ui\/rollouts\/[0-9a-f-]+$/);
  });

  it('shows a service: its regions, what each serves and since when, and a plan preview with its exposure chart', async () => {
    const page = await signedIn('viewer', `/ui/services/${service}`);
    await page.getByTestId('topology').waitFor();
    expect(await page.locator('[data-testid="topology"] tbody tr').count()).toBe(REGIONS.length);
    expect(await page.locator('tr[data-region="ui-west-1"] [data-testid="serves"]').textContent()).toBe('v-board-1');
    // the default strategy's 5% canary cap cannot hold with four equal regions: the rule it breaks is named
    await page.getByTestId('violations').waitFor();
    expect(await page.getByTestId('violations').textContent()).toContain('PLAN_CANARY_CAP');
    await page.getByLabel('Canary max share').fill('0.3');
    await page.getByLabel('Growth factor').fill('4');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('plan-waves').locator('li').first().waitFor();
    expect(await page.locator('[data-testid="plan-waves"] li').count()).toBeGreaterThan(1);
    expect(await page.getByTestId('plan-valid').textContent()).toBe('The plan keeps every rule.');
    // the chart draws in an effect after the waves render: wait for it, then there is exactly one
    await page.locator('[data-testid="exposure-chart"] canvas').first().waitFor();
    expect(await page.locator('[data-testid="exposure-chart"] canvas').count()).toBe(1);
  });

  it('checks a config against the redundancy rules on the service page, and draws its dependency map', async () => {
    const page = await signedIn('viewer', `/ui/services/${service}-deps`);
    await page.getByTestId('topology').waitFor();
    await page.getByLabel('Canary max share').fill('0.3');
    await page.getByLabel('Growth factor').fill('4');
    await page.getByLabel('Config to check (JSON)').fill('{"database": {"primary": "db-main"}}');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('redundancy-violations').waitFor();
    const listed = await page.getByTestId('redundancy-violations').textContent();
    expect(listed).toContain('error: SPOF_PAIR_SHARED_DEPENDENCY: ui-west-1 and ui-west-2 are a redundancy pair');
    expect(listed).toContain('SPOF_CONCENTRATION');
    expect(await page.getByTestId('plan-valid').textContent()).toBe('The config breaks a redundancy rule.');
    const row = page.locator('[data-testid="dependency-map"] tr[data-value="db-main"] td');
    expect(await row.allTextContents()).toEqual(['database', 'db-main', 'primary', '—', REGIONS.join(', ')]);

    // a config with no dependency in it keeps every rule
    await page.getByLabel('Config to check (JSON)').fill('{"timeoutMs": 300}');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('redundancy-ok').waitFor();
    expect(await page.getByTestId('plan-valid').textContent()).toBe('The plan keeps every rule.');

    // what is not JSON is named before anything is asked
    await page.getByLabel('Config to check (JSON)').fill('{database');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('The config to check is not JSON');
  });

  it('passes an accessibility check with no serious violations', async () => {
    const page = pages.find((p) => !p.isClosed() && p.url().includes('/ui/rollouts/'))!;
    await page.evaluate(axe.source);
    const result = await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run());
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  });

  it('made no request to any host but the gateway, and logged no console error', () => {
    const gateway = new URL(stack.gateway.url).host;
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((url) => new URL(url).host !== gateway)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
