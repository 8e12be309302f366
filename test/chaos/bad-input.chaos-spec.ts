import fc from 'fast-check';
import { Pool } from 'pg';
import { hashToken } from '../../apps/gateway/src/auth/principal';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { registerService, startRollout, waitForApproval, waitForRollout, type StackUrls } from '../support/fixtures';
import { graphql, type GraphqlResponse } from '../support/graphql-client';
import { testServices } from '../support/test-env';
import { TEST_PRINCIPALS, tokenOf } from '../support/test-tokens';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';

/**
 * Bad input, authentication and concurrency against a production-mode gateway process and a
 * worker process: each input gets a clear answer with a stable code, and nothing it should
 * not change changes. The processes log at debug level, and at the end their whole output is
 * searched for every configured token.
 */
const suffix = Date.now().toString(36);
const SERVICE = `hardened-${suffix}`;
const REGIONS = ['bi-canary', 'bi-west', 'bi-east'];
const EXPIRED_TOKEN = 'test-token-expired-0123456789abcdef';
const WRONG_TOKEN = 'test-token-nobody-0123456789abcdef';
const CONSOLE_ORIGIN = 'http://console.sluice.test';
/** Three or two regions: the canary is a third or half of the traffic, so the cap is raised. */
const STRATEGY = { canaryMaxShare: 0.5, growthFactor: 4, bakeSeconds: 1, approvalAfterCanary: true };
/** Text that must be stored and returned as typed, never run. */
const NASTY = [
  "'; DROP TABLE events; --",
  'Robert"); DELETE FROM rollouts WHERE (""="',
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror=alert(1)>',
  '${jndi:ldap://127.0.0.1/x} {{service}} %s%n',
  'ʼ OR 1=1 -- ✓ 日本語 \\ / \t',
];

describe('chaos: bad input, authentication and concurrency', () => {
  const processes: SluiceProcess[] = [];
  let gateway: GatewayProcess;
  let sim: RegionSim;
  let pool: Pool;
  const urls = (): StackUrls => ({ gateway, regionSim: sim });
  const ask = <T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    as: string | null = 'admin',
  ) => graphql<T>(gateway.url, query, variables, as);
  const raw = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('admin')}`, ...headers },
      body,
    });

  /** What bad input must never change. */
  const snapshot = async () => {
    const { rows } = await pool.query<{ events: string; services: string; halts: string }>(
      `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM services) AS services,
              (SELECT count(*) FROM halt_requests) AS halts`,
    );
    const regions = sim.fleet.list().map((r): [string, string | null, number] => [r.region, r.version, r.applyCount]);
    return { ...rows[0], regions };
  };

  beforeAll(async () => {
    const env = { ...testServices(), taskQueue: `sluice-bad-input-${suffix}` };
    sim = await startRegionSim({ regions: REGIONS, port: 0, traffic: false });
    pool = new Pool({ connectionString: env.databaseUrl, max: 2 });
    const [g, w] = await Promise.all([
      spawnGateway('gateway', env, {
        tokens: [
          {
            principal: 'expired',
            roles: ['admin'],
            sha256: hashToken(EXPIRED_TOKEN),
            expiresAt: '2026-01-01T00:00:00Z',
          },
        ],
        env: { LOG_LEVEL: 'debug', SLUICE_CORS_ORIGINS: CONSOLE_ORIGIN },
      }),
      spawnWorker('worker', env, { LOG_LEVEL: 'debug' }),
    ]);
    gateway = g;
    processes.push(g, w);
    await registerService(urls(), SERVICE, REGIONS);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sim?.close();
    await pool?.end();
  });

  const codeOf = (res: GraphqlResponse<unknown>) => res.errors?.[0]?.extensions?.code;

  it('refuses malformed, oversized, too deep, mistyped and unknown-enum requests, changing nothing', async () => {
    const before = await snapshot();
    const malformed = await raw(JSON.stringify({ query: '{ rollouts(first: 5 { edges } }' }));
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as GraphqlResponse<unknown>).errors?.[0].extensions?.code).toBe(
      'GRAPHQL_PARSE_FAILED',
    );
    const notJson = await raw('{"query": "{ services { name } }"');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    const huge = await raw(JSON.stringify({ query: '{ services { name } }', variables: { x: 'x'.repeat(2_000_000) } }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });

    const bigConfig = await ask(
      'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
      { input: { service: SERVICE, version: 'v-big', config: { blob: 'x'.repeat(300_000) } } },
      'alice',
    );
    expect(codeOf(bigConfig)).toBe('BAD_USER_INPUT');
    expect(bigConfig.errors?.[0].message).toMatch(/at most 262144 bytes/);

    // depth is counted on the query text: twelve levels are refused whatever the fields
    // PostgreSQL cannot store NUL in text or jsonb: refused up front, not half-way through
    const nul = await ask(
      'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
      { input: { service: SERVICE, version: 'v-nul', config: { a: 'x\u0000y' }, strategy: STRATEGY } },
      'alice',
    );
    expect(nul.errors?.[0]).toMatchObject({
      message: 'text must not contain NUL characters (U+0000)',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(codeOf(await ask('mutation { abortRollout(id: "x", reason: "a\\u0000b") { status } }', {}, 'alice'))).toBe(
      'BAD_USER_INPUT',
    );

    const deep = await ask(
      'query deep { services { regions { customers { a { b { c { d { e { f { g { h { i } } } } } } } } } } } }',
    );
    expect(codeOf(deep)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(deep.errors!.map((e) => e.message)).toContain("'deep' exceeds maximum operation depth of 10");
    expect(codeOf(await ask('{ rollouts(first: "ten") { edges { cursor } } }'))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(codeOf(await ask('query ($n: Int!) { rollouts(first: $n) { edges { cursor } } }', { n: 'ten' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await ask('{ rollouts(filter: { status: EXPLODED }) { edges { cursor } } }'))).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect(
      codeOf(
        await ask('query ($f: RolloutFilterInput) { rollouts(filter: $f) { edges { cursor } } }', {
          f: { status: 'EXPLODED' },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(await snapshot()).toEqual(before);
  });

  it('stores SQL- and script-looking text verbatim in every text field and returns it unchanged', async () => {
    const service = `verbatim-${suffix}`;
    const registered = await ask(
      'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      {
        input: {
          name: service,
          regions: [
            { name: 'vb-canary', tier: 'CANARY', endpoint: `${sim.url}/regions/bi-canary`, customers: NASTY },
            { name: 'vb-west', endpoint: `${sim.url}/regions/bi-west` },
          ],
          freezeWindows: [{ start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z', reason: NASTY[2] }],
        },
      },
    );
    expect(registered.errors).toBeUndefined();
    const services = await ask<{
      services: Array<{
        name: string;
        regions: Array<{ customers: string[] }>;
        freezeWindows: Array<{ reason: string }>;
      }>;
    }>('{ services { name regions { customers } freezeWindows { reason } } }');
    const stored = services.data!.services.find((s) => s.name === service)!;
    expect(stored.regions[0].customers).toEqual(NASTY);
    expect(stored.freezeWindows[0].reason).toBe(NASTY[2]);

    const config = Object.fromEntries(NASTY.map((text, i) => [text, { [`v${i}`]: text }]));
    const id = await startRollout(
      urls(),
      { service, version: 'v1', config, description: NASTY.join('\n'), strategy: STRATEGY },
      'alice',
    );
    await waitForApproval(urls(), id);
    expect(sim.fleet.get('bi-canary')?.config).toEqual(config);
    const paused = await ask(
      'mutation ($r: String!) { pauseRollout(id: "' + id + '", reason: $r) { status } }',
      { r: NASTY[0] },
      'alice',
    );
    expect(paused.errors).toBeUndefined();
    const aborted = await ask(
      'mutation ($r: String!) { abortRollout(id: "' + id + '", reason: $r) { status } }',
      { r: NASTY[1] },
      'alice',
    );
    expect(aborted.errors).toBeUndefined();
    const done = await waitForRollout(urls(), id, ['ABORTED']);
    const data = (type: string) => done.events.find((e) => e.type === type)?.data;
    expect(data('RolloutPaused')).toMatchObject({ reason: NASTY[0] });
    expect(data('RolloutAborted')).toMatchObject({ reason: NASTY[1] });
    // the tables the strings name are all still there
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [id]);
    expect(rows[0].n).toBe(done.events.length);
  });

  it('answers no, wrong, expired and under-privileged tokens, and self-approval, without acting', async () => {
    const before = await snapshot();
    const query = '{ services { name } }';
    expect((await ask(query, {}, null)).errors?.[0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: 'send an API token as "Authorization: Bearer <token>"',
    });
    const wrong = await raw(JSON.stringify({ query }), { authorization: `Bearer ${WRONG_TOKEN}` });
    expect(await wrong.json()).toMatchObject({
      errors: [{ extensions: { code: 'UNAUTHENTICATED' }, message: 'the API token is not valid' }],
    });
    const expired = await raw(JSON.stringify({ query }), { authorization: `Bearer ${EXPIRED_TOKEN}` });
    expect(await expired.json()).toMatchObject({
      errors: [
        {
          extensions: { code: 'UNAUTHENTICATED' },
          message: 'the API token expired at 2026-01-01T00:00:00.000Z; ask an admin for a new one',
        },
      ],
    });
    const start = (as: string) =>
      ask(
        'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
        { input: { service: SERVICE, version: 'v-denied', config: {} } },
        as,
      );
    expect(codeOf(await start('viewer'))).toBe('FORBIDDEN');
    expect(codeOf(await start('bob'))).toBe('FORBIDDEN');
    const webhook = await fetch(`${gateway.url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${EXPIRED_TOKEN}` },
      body: JSON.stringify({ version: '4', status: 'firing', alerts: [] }),
    });
    expect(webhook.status).toBe(401);
    expect(await snapshot()).toEqual(before);

    // separation of duties: the requester cannot approve their own wave
    const id = await startRollout(
      urls(),
      { service: SERVICE, version: 'v-sod', config: { sod: true }, strategy: STRATEGY },
      'carol',
    );
    await waitForApproval(urls(), id);
    const self = await ask(`mutation { approveWave(id: "${id}", wave: 1) { status } }`, {}, 'carol');
    expect(codeOf(self)).toBe('FORBIDDEN');
    expect((await waitForRollout(urls(), id, ['ROLLING'])).events.map((e) => e.type)).not.toContain('ApprovalGranted');
    // another person may, and the comment is kept as typed
    const approved = await ask(
      `mutation ($c: String) { approveWave(id: "${id}", wave: 1, comment: $c) { status } }`,
      { c: NASTY[3] },
      'bob',
    );
    expect(approved.errors).toBeUndefined();
    const done = await waitForRollout(urls(), id, ['SUCCEEDED']);
    expect(done.events.find((e) => e.type === 'ApprovalGranted')?.data).toEqual({
      wave: 1,
      approver: 'bob',
      comment: NASTY[3],
    });
  });

  it('lets exactly one of 50 simultaneous starts for one service run; the rest get ROLLOUT_IN_PROGRESS', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ask<{ startRollout: { id: string } }>(
          'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
          { input: { service: SERVICE, version: `v-race-${i}`, config: { i }, strategy: STRATEGY } },
          'dana',
        ),
      ),
    );
    const started = results.filter((r) => r.data?.startRollout);
    expect(started).toHaveLength(1);
    expect(results.filter((r) => codeOf(r) === 'ROLLOUT_IN_PROGRESS')).toHaveLength(49);
    const id = started[0].data!.startRollout.id;
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(DISTINCT stream_id)::int AS n FROM events WHERE type = 'RolloutRequested' AND data->>'service' = $1 AND data->>'version' LIKE 'v-race-%'`,
      [SERVICE],
    );
    expect(rows[0].n).toBe(1);
    await ask(`mutation { abortRollout(id: "${id}", reason: "race over") { status } }`, {}, 'dana');
    await waitForRollout(urls(), id, ['ABORTED', 'ROLLED_BACK', 'FAILED']);
  });

  it('refuses random invalid topologies and plans (fast-check) and leaves nothing half-applied', async () => {
    const regionName = fc.constantFrom('pb-a', 'pb-b', 'pb-c', 'pb-d', 'PB_bad', '', 'pb-a ');
    const region = fc.record({
      name: regionName,
      tier: fc.constantFrom('CANARY', 'STANDARD', 'HEAVY'),
      weight: fc.oneof(fc.double({ min: -5, max: 20, noNaN: true }), fc.constant(1)),
      pair: fc.option(regionName, { nil: undefined }),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(region, { minLength: 0, maxLength: 5 }), async (regions) => {
        const name = `pb-${suffix}-${n++}`;
        const res = await ask('mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }', {
          input: { name, regions: regions.map((r) => ({ ...r, endpoint: `${sim.url}/regions/bi-east` })) },
        });
        const exists = (await ask<{ services: Array<{ name: string }> }>('{ services { name } }')).data!.services.some(
          (s) => s.name === name,
        );
        if (res.errors) {
          expect(codeOf(res)).toBe('BAD_USER_INPUT');
          expect(res.errors[0].message.length).toBeGreaterThan(10);
          expect(exists).toBe(false);
        } else {
          expect(exists).toBe(true);
        }
      }),
      { numRuns: 40, seed: 20261126 },
    );

    const before = await snapshot();
    const wave = fc.record({
      regions: fc.array(fc.constantFrom(...REGIONS, 'bi-unknown'), { minLength: 0, maxLength: 4 }),
      bakeSeconds: fc.integer({ min: -10, max: 100 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(wave, { minLength: 0, maxLength: 4 }), async (waves) => {
        const preview = await ask<{ planRollout: { valid: boolean } }>(
          'query ($input: PlanRolloutInput!) { planRollout(input: $input) { valid } }',
          { input: { service: SERVICE, waves, strategy: STRATEGY } },
        );
        const start = await ask(
          'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
          { input: { service: SERVICE, version: 'v-prop', config: {}, waves, strategy: STRATEGY } },
          'alice',
        );
        if (preview.errors || !preview.data!.planRollout.valid) {
          expect(['PLAN_INVALID', 'BAD_USER_INPUT']).toContain(codeOf(start));
        } else {
          // a valid plan runs; stop it again so the next case finds the service free
          const id = (start.data as { startRollout: { id: string } }).startRollout.id;
          await ask(`mutation { abortRollout(id: "${id}", reason: "property check") { status } }`, {}, 'alice');
          await waitForRollout(urls(), id, ['ABORTED', 'ROLLED_BACK', 'FAILED']);
        }
      }),
      { numRuns: 25, seed: 26112026, examples: [[[]], [[{ regions: ['bi-west'], bakeSeconds: 1 }]]] },
    );
    const after = await snapshot();
    // invalid plans added no event at all; valid ones (if any were generated) ran and were undone
    if (after.events === before.events) expect(after).toEqual(before);
    expect(after.regions.map(([region, version]) => [region, version])).toEqual(
      before.regions.map(([region, version]) => [region, version]),
    );
  });

  it('answers every webhook payload (random, invalid JSON, wrong version, no labels, 10 MB) without a wrong halt', async () => {
    const post = (body: string) =>
      fetch(`${gateway.url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('alertmanager')}` },
        body,
      });
    const id = await startRollout(
      urls(),
      { service: SERVICE, version: 'v-webhooks', config: { w: 1 }, strategy: STRATEGY },
      'alice',
    );
    await waitForApproval(urls(), id);
    const halts = async () => Number((await pool.query('SELECT count(*) AS n FROM halt_requests')).rows[0].n);
    const before = await halts();

    const broken = await post('{"version": "4", "alerts": [');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect((await post(JSON.stringify({ version: '3', status: 'firing', alerts: [] }))).status).toBe(400);
    const tooBig = await post(
      JSON.stringify({ version: '4', status: 'firing', alerts: [], pad: 'x'.repeat(10 * 1024 * 1024) }),
    );
    expect(tooBig.status).toBe(413);
    const nul = await post(
      JSON.stringify({
        version: '4',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { service: SERVICE, region: 'bi-canary', alertname: 'a\u0000b' },
            startsAt: new Date().toISOString(),
            fingerprint: 'nul',
          },
        ],
      }),
    );
    expect(nul.status).toBe(400);
    expect(await nul.json()).toMatchObject({
      error: { code: 'BAD_USER_INPUT', fields: [{ field: 'alerts.0.labels.alertname' }] },
    });
    const unlabelled = await post(
      JSON.stringify({
        version: '4',
        status: 'firing',
        alerts: [{ status: 'firing', labels: {}, startsAt: new Date().toISOString(), fingerprint: 'no-labels' }],
      }),
    );
    expect(unlabelled.status).toBe(200);
    expect(await unlabelled.json()).toMatchObject({ queued: 0, ignored: 1 });

    const alert = fc.record({
      status: fc.constantFrom('firing', 'resolved', 'pending'),
      labels: fc.dictionary(fc.constantFrom('service', 'region', 'alertname', 'x'), fc.string({ maxLength: 12 })),
      startsAt: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.string(),
      ),
      fingerprint: fc.string({ maxLength: 20 }),
    });
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record({
        version: fc.constantFrom('4', '3', 4),
        status: fc.constantFrom('firing', 'x'),
        alerts: fc.array(alert, { maxLength: 3 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        const res = await post(JSON.stringify(body));
        expect([200, 400]).toContain(res.status);
        const answer = (await res.json()) as Record<string, unknown>;
        if (res.status === 400)
          expect(['BAD_USER_INPUT', 'BAD_REQUEST']).toContain((answer.error as { code: string }).code);
      }),
      { numRuns: 60, seed: 42 },
    );
    // random services never matched ours, so it is still waiting, untouched by any halt
    const live = await ask<{ rolloutLive: { status: string; phase: string } }>(
      `{ rolloutLive(id: "${id}") { status phase } }`,
    );
    expect(live.data!.rolloutLive).toEqual({ status: 'ROLLING', phase: 'AWAITING_APPROVAL' });
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM halt_requests WHERE service = $1', [SERVICE]);
    expect(rows[0].n).toBe(0);
    expect(await halts()).toBeGreaterThanOrEqual(before);
    // halting through the API keeps its reason as typed too
    const halted = await ask(
      `mutation ($r: String!) { haltRollout(id: "${id}", reason: $r) { status } }`,
      { r: NASTY[4] },
      'alice',
    );
    expect(halted.errors).toBeUndefined();
    const done = await waitForRollout(urls(), id, ['ROLLED_BACK']);
    expect(done.events.find((e) => e.type === 'RolloutHalted')?.data).toMatchObject({
      reason: NASTY[4],
      source: 'api',
    });
  });

  it('sends security headers, and allows cross-origin calls only from the configured origin', async () => {
    for (const path of ['/graphql', '/healthz']) {
      const res = await fetch(`${gateway.url}${path}`, { method: path === '/graphql' ? 'POST' : 'GET' });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    const preflight = (origin: string) =>
      fetch(`${gateway.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const foreign = await preflight('http://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await preflight(CONSOLE_ORIGIN);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
  });

  it('never wrote a token to the logs of the gateway or the worker', async () => {
    const secrets = [...Object.keys(TEST_PRINCIPALS).map(tokenOf), EXPIRED_TOKEN, WRONG_TOKEN];
    for (const p of processes) {
      const output = p.output();
      // the capture works: the start-up line and the debug-level lines are in it
      expect(output).toContain(p.name === 'gateway' ? 'gateway listening' : 'worker polling');
      for (const secret of secrets)
        expect({ process: p.name, leaked: output.includes(secret) }).toEqual({ process: p.name, leaked: false });
      expect(output).not.toMatch(/Bearer [\w-]{8,}/);
    }
  });
});
