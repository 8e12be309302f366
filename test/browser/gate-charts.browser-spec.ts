/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../libs/platform/src/project-root';
import { freePort } from '../../libs/platform/src/free-port';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout } from '../support/fixtures';
import { eventually } from '../support/graphql-client';
import {
  describeWithMonitoring,
  startPrometheus,
  waitForScrapedWindow,
  type PrometheusServer,
} from '../support/prometheus';
import { tokenOf } from '../support/test-tokens';
import { chromiumPath } from './chromium';

const CANARY = 'gc-canary-1';
const CONTROLS = ['gc-west-1', 'gc-west-2'];
const WINDOW = 60;

/** Waits; on failure, a screenshot of the page goes to test-artifacts/ before the error. */
async function eventuallyOr<T>(page: Page, name: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (err) {
    mkdirSync(join(projectRoot(__dirname), 'test-artifacts'), { recursive: true });
    await page.screenshot({
      path: join(projectRoot(__dirname), 'test-artifacts', `${name}-failed.png`),
      fullPage: true,
    });
    throw err;
  }
}

/**
 * The gate charts on a rollout judged by a real Prometheus scraping region-sim: the canary
 * judge's e-values with their FAIL and PASS lines, and the error ratio of the changed region
 * against the unchanged ones, read through the gateway (the page never calls Prometheus).
 */
describeWithMonitoring(['prometheus'], 'the rollout board’s gate charts', () => {
  let prometheus: PrometheusServer;
  let stack: AppStack;
  let browser: Browser;
  const service = `charts-${Date.now()}`;
  const requests: string[] = [];

  beforeAll(async () => {
    const regionSimPort = await freePort();
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${regionSimPort}`] });
    stack = await startAppStack({ regions: [CANARY, ...CONTROLS], regionSimPort, prometheusUrl: prometheus.url });
    for (const region of [CANARY, ...CONTROLS])
      stack.regionSim.traffic.setRegionTraffic(region, { rps: 400, baseErrorRate: 0.01 });
    await registerService(stack, service, [CANARY, ...CONTROLS]);
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    // Prometheus must hold the whole pre-change window before the first push.
    await waitForScrapedWindow(prometheus, WINDOW);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await prometheus?.stop();
  });

  const open = async (path: string): Promise<Page> => {
    const page = await (await browser.newContext()).newPage();
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${stack.gateway.url}${path}`);
    await page.getByLabel('API token').fill(tokenOf('alice'));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('principal').waitFor();
    return page;
  };

  it('draws the canary judge’s e-values with the 1/α and 1/β lines, and the error ratio of changed against unchanged regions', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v-charts',
      config: { charts: true },
      strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 600, approvalAfterCanary: false },
      waves: [{ regions: [CANARY] }, { regions: CONTROLS, bakeSeconds: 0 }],
      gates: [
        { kind: 'canary', name: 'canary-judge', minRequests: 300, baselineWindowSeconds: WINDOW, alpha: 0.001 },
        {
          kind: 'prometheus',
          name: 'error-ratio',
          query: `sum(rate(sluice_sim_requests_total{region="{{region}}",code=~"5.."}[1m])) / sum(rate(sluice_sim_requests_total{region="{{region}}"}[1m]))`,
          comparison: '<',
          threshold: 0.5,
        },
      ],
      gateIntervalSeconds: 3,
    });
    const page = await open(`/ui/rollouts/${id}`);
    const canary = page.locator('[data-testid="gate-chart"][data-kind="canary"]');
    await eventuallyOr(page, 'gate-charts-canary', () =>
      eventually(
        async () => ((Number(await canary.getAttribute('data-points').catch(() => '0')) || 0) >= 2 ? true : undefined),
        {
          what: 'two canary evaluations on the chart',
          timeoutMs: 90_000,
          intervalMs: 500,
        },
      ),
    );
    const legend = await canary.locator('.u-legend').textContent();
    expect(legend).toContain('e FAIL');
    expect(legend).toContain('e PASS');
    expect(legend).toContain('1/α (FAIL line)');
    expect(legend).toContain('1/β (PASS line)');
    expect(await canary.locator('canvas').count()).toBe(1);
    // the prometheus gate's value against its threshold
    const value = page.locator('[data-testid="gate-chart"][data-kind="value"]').first();
    expect(await value.locator('.u-legend').textContent()).toContain('threshold');

    const rates = page.getByTestId('error-rates');
    await eventually(
      async () => ((Number(await rates.getAttribute('data-points').catch(() => '0')) || 0) > 0 ? true : undefined),
      {
        what: 'the error ratio of the changed region',
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    );
    expect(await rates.locator('.u-legend').textContent()).toContain(`changed (${CANARY})`);
    // the browser asked the gateway only, never Prometheus
    const gateway = new URL(stack.gateway.url).host;
    expect(requests.filter((url) => new URL(url).host !== gateway)).toEqual([]);
    expect(requests.some((url) => url.includes(`/api/rollouts/${id}/error-rates`))).toBe(true);

    await page.locator('button[data-action="abort"]').click();
    await page.getByLabel('Reason').fill('charts checked');
    await page.locator('button[data-confirm="abort"]').click();
    await page.getByTestId('status').filter({ hasText: 'ABORTED' }).waitFor({ timeout: 60_000 });
  }, 180_000);

  it('refuses the error rates without a token, and a step outside its bounds', async () => {
    const anonymous = await fetch(`${stack.gateway.url}/api/rollouts/x/error-rates`);
    expect(anonymous.status).toBe(401);
    const bad = await fetch(`${stack.gateway.url}/api/rollouts/x/error-rates?step=0`, {
      headers: { authorization: `Bearer ${tokenOf('viewer')}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
    const missing = await fetch(`${stack.gateway.url}/api/rollouts/no-such-rollout/error-rates`, {
      headers: { authorization: `Bearer ${tokenOf('viewer')}` },
    });
    expect(missing.status).toBe(404);
  });
});
