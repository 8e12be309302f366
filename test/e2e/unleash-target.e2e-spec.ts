import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postAlerts } from '../support/alertmanager-webhook';
import { eventually } from '../support/eventually';
import { readRollout, startRollout, waitForRollout } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { startAppStack, type AppStack } from '../support/app-stack';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../support/prometheus';
import { flagState, startUnleash, type UnleashServer } from '../support/unleash';

const REGIONS = ['ul-canary-1', 'ul-west-1', 'ul-west-2', 'ul-east-1', 'ul-east-2', 'ul-south-1'];
const FLAG = 'checkout-v2';

/**
 * A feature enablement as a rollout, end to end on the real stack and a real Unleash: six
 * regions are six Unleash environments of one flag. The flag is switched on wave by wave, and a
 * halt from an Alertmanager webhook switches it off again in every environment it reached.
 */
describeWithMonitoring(['prometheus'], 'regions that are Unleash environments, end to end', () => {
  let stack: AppStack;
  let prometheus: PrometheusServer;
  let unleash: UnleashServer;
  const service = `unleash-${Date.now()}`;

  /** What Unleash itself says of the flag in each environment: on or off, and its strategies' titles. */
  async function flagIn(environment: string): Promise<{ enabled: boolean; titles: string[] } | null> {
    const res = await fetch(`${unleash.url}/api/admin/projects/default/features/${FLAG}/environments/${environment}`, {
      headers: { authorization: unleash.token },
    });
    if (res.status === 404) return null;
    const body = (await res.json()) as { enabled: boolean; strategies: Array<{ title?: string }> };
    return { enabled: body.enabled, titles: body.strategies.map((s) => s.title ?? '') };
  }
  const enabledIn = async () =>
    Object.fromEntries(await Promise.all(REGIONS.map(async (r) => [r, (await flagIn(r))?.enabled ?? false])));

  // Sluice's own log lines, read back by the secrets spec below
  const logFile = join(mkdtempSync(join(tmpdir(), 'sluice-unleash-log-')), 'sluice.log');

  beforeAll(async () => {
    process.env.SLUICE_LOG_FILE = logFile;
    unleash = await startUnleash(REGIONS);
    // the worker runs in this process: it reads the token by reference, from this variable
    process.env.SLUICE_TEST_UNLEASH_TOKEN = unleash.token;
    prometheus = await startPrometheus({ targets: [] });
    stack = await startAppStack({ regions: ['http-1'], prometheusUrl: prometheus.url });
    const res = await graphql(
      stack.gateway.url,
      'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      {
        input: {
          name: service,
          regions: REGIONS.map((name, i) => ({
            name,
            tier: i === 0 ? 'CANARY' : 'STANDARD',
            target: {
              unleash: { url: unleash.url, flag: FLAG, environment: name, tokenEnv: 'SLUICE_TEST_UNLEASH_TOKEN' },
            },
          })),
        },
      },
      'admin',
    );
    expect(res.errors).toBeUndefined();
  }, 150_000);
  afterAll(async () => {
    await stack?.stop();
    await unleash?.stop();
    await prometheus?.stop();
    delete process.env.SLUICE_TEST_UNLEASH_TOKEN;
    delete process.env.SLUICE_LOG_FILE;
  });

  const strategy = { canaryMaxShare: 0.2, growthFactor: 2, approvalAfterCanary: false };

  it('a halt from Alertmanager mid-rollout switches the flag off again in every environment it reached', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'on-1',
      config: flagState(100),
      strategy: { ...strategy, growthFactor: 3 },
      // the second wave bakes long enough for the alert to land while it does
      waves: [
        { regions: ['ul-canary-1'], bakeSeconds: 0 },
        { regions: ['ul-west-1', 'ul-west-2'], bakeSeconds: 600 },
        { regions: ['ul-east-1', 'ul-east-2', 'ul-south-1'], bakeSeconds: 0 },
      ],
    });
    // wave by wave: while the second wave bakes, the flag is on there and in the canary, off elsewhere
    const pushedTo = await eventually(
      async () => {
        const rollout = await readRollout(stack, id);
        const waves = rollout.events.filter((e) => e.type === 'WaveStarted').length;
        const pushed = rollout.events.filter((e) => e.type === 'RegionConfigPushed').map((e) => String(e.data.region));
        const secondWave = rollout.events.filter((e) => e.type === 'WaveStarted')[1]?.data.regions as string[];
        return waves === 2 && secondWave && secondWave.every((r) => pushed.includes(r)) ? pushed : undefined;
      },
      { what: 'the second wave to be pushed', timeoutMs: 90_000, intervalMs: 300 },
    );
    expect(pushedTo).toEqual(['ul-canary-1', expect.any(String), expect.any(String)]);
    const midway = await enabledIn();
    expect(
      Object.entries(midway)
        .filter(([, on]) => on)
        .map(([r]) => r)
        .sort(),
    ).toEqual([...pushedTo].sort());
    expect((await flagIn('ul-canary-1'))?.titles).toEqual(['sluice:on-1']);

    const alert = await postAlerts(stack.gateway.url, [
      { labels: { alertname: 'CheckoutErrors', service }, fingerprint: `unleash-${service}` },
    ]);
    expect(alert.ok).toBe(true);
    const stopped = await waitForRollout(stack, id, ['ROLLED_BACK', 'ROLLBACK_FAILED', 'SUCCEEDED', 'FAILED']);
    expect(stopped.status).toBe('ROLLED_BACK');
    // every environment it reached is back to "nothing there": off, no strategy
    for (const region of REGIONS) {
      const state = await flagIn(region);
      expect({ region, enabled: state?.enabled ?? false, titles: state?.titles ?? [] }).toEqual({
        region,
        enabled: false,
        titles: [],
      });
    }
  }, 120_000);

  it('rolls the enablement out to every environment, canary first', async () => {
    // each wave bakes under a Prometheus gate, as a flag's rollout would watch its error ratio
    const id = await startRollout(stack, {
      service,
      version: 'on-2',
      config: flagState(100),
      strategy: { ...strategy, bakeSeconds: 2 },
      gates: [
        { kind: 'prometheus', name: 'checkout-errors', query: 'vector(0.001)', comparison: '<', threshold: 0.05 },
      ],
      gateIntervalSeconds: 1,
    });
    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED']);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.filter((e) => e.type === 'WaveStarted').length).toBeGreaterThanOrEqual(3);
    expect(done.events.find((e) => e.type === 'RegionConfigPushed')?.data.region).toBe('ul-canary-1');
    expect(Object.values(await enabledIn())).toEqual(REGIONS.map(() => true));
    const judged = done.events.filter((e) => e.type === 'HealthGateEvaluated');
    expect(new Set(judged.map((e) => e.data.region))).toEqual(new Set(REGIONS));
    expect(judged.every((e) => e.data.verdict === 'PASS' && e.data.gate === 'checkout-errors')).toBe(true);
    for (const region of REGIONS) expect((await flagIn(region))?.titles).toEqual(['sluice:on-2']);
  }, 120_000);

  it('never shows the token: not in an event, a log line or a GraphQL answer', async () => {
    const secret = unleash.token.split('.')[1];
    const { rows } = await stack.pool.query<{ text: string }>(
      `SELECT data::text || metadata::text AS text FROM events
       WHERE stream_id IN (SELECT stream_id FROM events WHERE type = 'RolloutRequested' AND data->>'service' = $1)`,
      [service],
    );
    expect(rows.length).toBeGreaterThan(20);
    const answers = await graphql(
      stack.gateway.url,
      `
        query ($s: String!) {
          service(name: $s) {
            regions {
              name
              endpoint
              targetKind
            }
          }
          rollouts(filter: { service: $s }) {
            edges {
              node {
                id
                stopReason
                events {
                  type
                  data
                }
              }
            }
          }
        }
      `,
      { s: service },
      'alice',
    );
    expect(answers.errors).toBeUndefined();
    const logs = readFileSync(logFile, 'utf8');
    expect(logs).toMatch(/"component":"(gateway|worker)"/);
    for (const [where, text] of [
      ['events', rows.map((r) => r.text).join('\n')],
      ['GraphQL', JSON.stringify(answers)],
      ['logs', logs],
    ]) {
      expect({ where, leaks: text.includes(secret) }).toEqual({ where, leaks: false });
    }
    // what they show instead: the reference
    expect(JSON.stringify(answers)).toContain('tokenEnv=SLUICE_TEST_UNLEASH_TOKEN');
  });
});
