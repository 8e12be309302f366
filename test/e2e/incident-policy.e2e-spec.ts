import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { postAlerts } from '../support/alertmanager-webhook';
import { startAppStack, type AppStack } from '../support/app-stack';
import { readRollout, startRollout, waitForApproval, waitForRollout } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../support/prometheus';
import { tokenOf } from '../support/test-tokens';

/**
 * `onIncident: halt-blamed` on the real stack: four services with concurrent rollouts in the
 * same four regions, and a fifth that calls one of them, each with its own region-sim (metrics
 * labelled by service), a real Prometheus scraping every second, Temporal and PostgreSQL.
 * Windows are 30 s each side of a change.
 */
const SPAN_SECONDS = 30;
const suffix = Date.now().toString(36);
const REGIONS = ['canary', 'west', 'east', 'south'].map((r) => `pol-${r}`);
const CANARY = REGIONS[0];
const ACTOR = 'sluice:onIncident';

interface Service {
  name: string;
  config: Record<string, unknown>;
  sim?: RegionSim;
  rolloutId?: string;
}

// web calls pay and alerts when pay's change breaks it (web has no rollout of its own); api is
// innocent and the alert's service later on; pay is the bad change; cart is innocent too; held
// is paused by a person before the outage, and must stay so.
const api: Service = { name: `api-${suffix}`, config: { feature: 'on' } };
const pay: Service = { name: `pay-${suffix}`, config: { faults: { errorRate: 0.3 } } };
const cart: Service = { name: `cart-${suffix}`, config: { feature: 'on' } };
const held: Service = { name: `held-${suffix}`, config: { feature: 'on' } };
const SERVICES = [api, pay, cart, held];
const web: Service = { name: `web-${suffix}`, config: {} };
const SIMULATED = [...SERVICES, web];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DecisionView {
  policy: string;
  rule: string;
  verdict: string | null;
  summary: string;
  topSuspects: Array<{ rolloutId: string; service: string; score: number; eValue: number; likelyCause: boolean }>;
  actions: Array<{ action: string; service: string; rolloutId: string | null; why: string; outcome: string | null }>;
  resumed: Array<{ action: string; rolloutId: string | null; outcome: string | null; detail: string | null }>;
  resolvedAt: string | null;
}

const SUITE = 'onIncident: halt-blamed on the real stack (Prometheus, region-sim, Temporal, PostgreSQL)';

describeWithMonitoring(['prometheus'], SUITE, () => {
  let prometheus: PrometheusServer | undefined;
  let stack: AppStack;

  const register = async (s: Service, onIncident: string) =>
    graphql<{ registerService: { name: string; onIncident: string } }>(
      stack.gateway.url,
      `
        mutation ($input: RegisterServiceInput!) {
          registerService(input: $input) {
            name
            onIncident
          }
        }
      `,
      {
        input: {
          name: s.name,
          onIncident,
          regions: REGIONS.map((name, i) => ({
            name,
            tier: i === 0 ? 'CANARY' : 'STANDARD',
            endpoint: `${s.sim!.url}/regions/${name}`,
          })),
        },
      },
      'admin',
    );

  const alert = (fingerprint: string, startsAt: Date, service = api) => ({
    labels: { alertname: 'HighErrorRate', service: service.name, region: CANARY },
    fingerprint,
    startsAt: startsAt.toISOString(),
  });

  const decisions = async (startsAt: Date, service = api) => {
    const res = await graphql<{ incident: { decisions: DecisionView[] } }>(
      stack.gateway.url,
      /* GraphQL */ `
        query ($alert: AlertInput!) {
          incident(alert: $alert) {
            decisions {
              policy
              rule
              verdict
              summary
              resolvedAt
              topSuspects {
                rolloutId
                service
                score
                eValue
                likelyCause
              }
              actions {
                action
                service
                rolloutId
                why
                outcome
              }
              resumed {
                action
                rolloutId
                outcome
                detail
              }
            }
          }
        }
      `,
      { alert: { labels: alert('x', startsAt, service).labels, startsAt: startsAt.toISOString() } },
      'viewer',
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.incident.decisions;
  };

  const incident = async (s: Service, body: { errorRate: number; regions?: string[] }) => {
    const res = await fetch(`${s.sim!.url}/incident`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };

  const decided = (startsAt: Date, done: (d: DecisionView) => boolean, what: string, service = api) =>
    eventually(
      async () => {
        const [d] = await decisions(startsAt, service);
        return d && done(d) ? d : undefined;
      },
      { what, timeoutMs: 60_000, intervalMs: 500 },
    );

  beforeAll(async () => {
    // each region-sim listens first (on a port of its own), then Prometheus scrapes it: a port
    // picked free and bound later could be taken in between by anything the stack starts
    for (const s of SIMULATED) s.sim = await startRegionSim({ regions: REGIONS, port: 0, service: s.name });
    prometheus = await startPrometheus({ targets: SIMULATED.map((s) => new URL(s.sim!.url).host) });
    stack = await startAppStack({
      regions: ['pol-unused'],
      prometheusUrl: prometheus.url,
      insight: { spanSeconds: SPAN_SECONDS },
    });
    for (const s of SIMULATED) {
      const res = await register(s, 'halt-blamed');
      expect(res.errors).toBeUndefined();
      expect(res.data!.registerService.onIncident).toBe('halt-blamed');
    }
    await eventually(
      async () => {
        const query = encodeURIComponent('count(rate(sluice_sim_requests_total{code="200"}[5s]) > 0)');
        const body = (await (await fetch(`${prometheus!.url}/api/v1/query?query=${query}`)).json()) as {
          data: { result: Array<{ value: [number, string] }> };
        };
        return Number(body.data.result[0]?.value[1] ?? 0) >= SIMULATED.length * REGIONS.length ? true : undefined;
      },
      { what: 'Prometheus to scrape every region of every service', timeoutMs: 60_000, intervalMs: 500 },
    );
    // a full window of healthy traffic before any change
    await sleep((SPAN_SECONDS + 2) * 1000);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    for (const s of SIMULATED) await s.sim?.close();
    await prometheus?.stop();
  });

  it('validates the policy with BAD_USER_INPUT and defaults it to halt-service', async () => {
    const bad = await register({ ...api, name: `bad-${suffix}` }, 'halt-everything');
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0].message).toMatch(/onIncident: must be one of halt-service, halt-blamed/);
    const res = await graphql<{ registerService: { onIncident: string } }>(
      stack.gateway.url,
      `mutation { registerService(input: { name: "dflt-${suffix}", regions: [{ name: "x", endpoint: "${api.sim!.url}/regions/x" }] }) { onIncident } }`,
      {},
      'admin',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.registerService.onIncident).toBe('halt-service');
  });

  let pushedAt = 0;

  it('LIKELY_CHANGE: halts and rolls back only the blamed rollout; the others keep going', async () => {
    const ids = await Promise.all(
      SERVICES.map((s) =>
        startRollout(stack, {
          service: s.name,
          version: `v2-${s.name.split('-')[0]}`,
          config: s.config,
          strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 1, approvalAfterCanary: true },
          gates: [],
        }),
      ),
    );
    SERVICES.forEach((s, i) => (s.rolloutId = ids[i]));
    await Promise.all(ids.map((id) => waitForApproval(stack, id)));
    pushedAt = Date.now();
    const paused = await graphql(
      stack.gateway.url,
      `mutation { pauseRollout(id: "${held.rolloutId}", reason: "waiting for the release notes") { status } }`,
      {},
      'alice',
    );
    expect(paused.errors).toBeUndefined();
    // web calls pay in the canary: pay's errors there become web's
    await incident(web, { errorRate: 0.3, regions: [CANARY] });
    // enough traffic after the pushes to judge them
    await sleep(12_000);

    // the alert names web, whose errors rose with pay's change in the same region
    const startsAt = new Date();
    expect((await postAlerts(stack.gateway.url, [alert(`policy-change-${suffix}`, startsAt, web)])).status).toBe(200);
    const payDone = await waitForRollout(stack, pay.rolloutId!, ['ROLLED_BACK']);
    expect(payDone.events.at(-1)!.type).toBe('RolloutRolledBack');
    const halted = payDone.events.find((e) => e.type === 'RolloutHalted')!.data as { reason: string };
    expect(halted.reason).toMatch(new RegExp(`^HighErrorRate firing in ${CANARY}; blamed: ${pay.name} rollout `));
    expect(halted.reason).toMatch(/score 0\.\d+, e-value [\d.e+]+, LIKELY_CHANGE\)$/);

    const decision = await decided(
      startsAt,
      (d) => d.actions.every((a) => a.outcome),
      'the decision to be acted on',
      web,
    );
    expect(decision).toMatchObject({ policy: 'halt-blamed', rule: 'HALT_BLAMED', verdict: 'LIKELY_CHANGE' });
    expect(decision.actions).toEqual([
      expect.objectContaining({ action: 'HALT', service: pay.name, rolloutId: pay.rolloutId, outcome: 'HALTED' }),
    ]);
    expect(decision.topSuspects[0]).toMatchObject({ rolloutId: pay.rolloutId, likelyCause: true });
    expect(decision.topSuspects[0].score).toBeGreaterThanOrEqual(0.5);
    expect(decision.topSuspects[0].eValue).toBeGreaterThanOrEqual(100);
    expect(decision.topSuspects.slice(1).every((s) => !s.likelyCause)).toBe(true);

    for (const s of [api, cart]) {
      const view = await readRollout(stack, s.rolloutId!);
      expect(view.status).toBe('ROLLING');
      expect(view.events.map((e) => e.type)).not.toContain('RolloutHalted');
    }
    expect((await readRollout(stack, held.rolloutId!)).status).toBe('PAUSED');
  });

  it('LIKELY_EXTERNAL: pauses the running rollouts in the region, rolls none back; resolving resumes only its own pauses', async () => {
    for (const s of SIMULATED) await incident(s, { errorRate: 0.3 });
    // the outage fills the rest of the 30 s after the pushes
    await sleep(Math.max(0, pushedAt + (SPAN_SECONDS + 4) * 1000 - Date.now()));

    const startsAt = new Date();
    const fingerprint = `policy-external-${suffix}`;
    expect((await postAlerts(stack.gateway.url, [alert(fingerprint, startsAt)])).status).toBe(200);
    const decision = await decided(startsAt, (d) => d.actions.every((a) => a.outcome), 'the pause decision');
    expect(decision).toMatchObject({ rule: 'PAUSE_EXTERNAL', verdict: 'LIKELY_EXTERNAL' });
    expect(decision.summary).toMatch(/pausing 2 running rollout\(s\) in pol-canary, 1 already paused left alone$/);
    expect(decision.actions.map((a) => [a.action, a.rolloutId, a.outcome]).sort()).toEqual(
      [
        ['PAUSE', api.rolloutId, 'PAUSED'],
        ['PAUSE', cart.rolloutId, 'PAUSED'],
      ].sort(),
    );
    for (const s of [api, cart]) {
      const view = await waitForRollout(stack, s.rolloutId!, ['PAUSED'], 20_000);
      const pause = view.events.filter((e) => e.type === 'RolloutPaused').at(-1)!.data;
      expect(pause).toMatchObject({
        by: ACTOR,
        reason: expect.stringMatching(/^HighErrorRate firing; LIKELY_EXTERNAL in pol-canary/),
      });
      expect(view.events.map((e) => e.type)).not.toContain('RollbackStarted');
    }

    // Alertmanager sends the same fingerprint and startsAt with status "resolved"
    const resolved = await fetch(`${stack.gateway.url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('alertmanager')}` },
      body: JSON.stringify({
        version: '4',
        status: 'resolved',
        alerts: [{ ...alert(fingerprint, startsAt), status: 'resolved', endsAt: new Date().toISOString() }],
      }),
    });
    expect(resolved.status).toBe(200);
    for (const s of [api, cart]) {
      const view = await waitForRollout(stack, s.rolloutId!, ['ROLLING'], 30_000);
      expect(view.events.filter((e) => e.type === 'RolloutResumed').at(-1)!.data).toEqual({ by: ACTOR });
    }
    const after = await decided(startsAt, (d) => d.resumed.length > 0, 'the resume to be recorded');
    expect(after.resolvedAt).not.toBeNull();
    // the rollout it found paused is held too, and left alone: a person paused it
    expect(after.resumed.map((r) => [r.rolloutId, r.outcome]).sort()).toEqual(
      [
        [api.rolloutId, 'RESUMED'],
        [cart.rolloutId, 'RESUMED'],
        [held.rolloutId, 'LEFT_ALONE'],
      ].sort(),
    );
    // a person's pause is theirs to lift
    const heldView = await readRollout(stack, held.rolloutId!);
    expect(heldView.status).toBe('PAUSED');
    expect(heldView.events.map((e) => e.type)).not.toContain('RolloutResumed');

    // the innocent rollouts finish
    for (const s of [api, cart]) {
      const approved = await graphql(
        stack.gateway.url,
        `mutation { approveWave(id: "${s.rolloutId}", wave: 1) { status } }`,
        {},
        'bob',
      );
      expect(approved.errors).toBeUndefined();
    }
    await Promise.all([api, cart].map((s) => waitForRollout(stack, s.rolloutId!, ['SUCCEEDED'])));
  });

  it('no blame (Prometheus unreadable): falls back to halting the alert’s service, and says so', async () => {
    await prometheus!.stop();
    prometheus = undefined;
    api.rolloutId = await startRollout(stack, {
      service: api.name,
      version: 'v3-api',
      config: { feature: 'off' },
      strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 1, approvalAfterCanary: true },
      gates: [],
    });
    await waitForApproval(stack, api.rolloutId);

    const startsAt = new Date();
    expect((await postAlerts(stack.gateway.url, [alert(`policy-blind-${suffix}`, startsAt)])).status).toBe(200);
    await waitForRollout(stack, api.rolloutId, ['ROLLED_BACK']);
    const decision = await decided(startsAt, (d) => d.actions.every((a) => a.outcome), 'the fallback decision');
    expect(decision).toMatchObject({ rule: 'FALLBACK_HALT_SERVICE', verdict: null, topSuspects: [] });
    expect(decision.summary).toMatch(
      new RegExp(`^no blame: Prometheus: .+: falling back to halting ${api.name}'s rollout \\(safety first\\)$`),
    );
    expect(decision.actions).toEqual([
      expect.objectContaining({ action: 'HALT', service: api.name, rolloutId: api.rolloutId, outcome: 'HALTED' }),
    ]);
  });
});
