/**
 * `npm run bench:api [-- --quick]`: the history API under load, with autocannon.
 *
 * Seeds the event log the way bench:history does (1,000,000 events, 20,000 rollouts; 100,000
 * with --quick), projects it, then drives the gateway process with 10 connections:
 * - `rollouts(first: 50)` (the projection, keyset-paged);
 * - `rollout(id)` (folds that rollout's events from the log);
 * - reference: `GET /healthz` on the same server, the framework's floor.
 * Reports requests per second and p99 latency for each.
 */
import autocannon from 'autocannon';
import { upcastEventData } from '../libs/domain/src';
import { PgEventStore } from '../libs/event-store/src';
import { Projector } from '../libs/projections/src';
import { tokenOf } from '../test/support/test-tokens';
import { machineInfo, publish, runBench, type Report } from './bench-report';
import { startBenchStack } from './bench-stack';
import { seedHistory } from './history-seed';

const quick = process.argv.includes('--quick');
const DURATION_S = quick ? 3 : 15;
const CONNECTIONS = 10;
const log = (msg: string) => console.log(`[bench:api] ${msg}`);
const LIST = '{ rollouts(first: 50) { edges { cursor node { id service version status requestedAt } } } }';
const BY_ID = '{ rollout(id: "bench-7") { id status service version pushedRegions stopReason } }';

interface Measured {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function drive(name: string, options: autocannon.Options): Promise<Measured> {
  log(`${name}: ${DURATION_S} s, ${CONNECTIONS} connections`);
  const result = await autocannon({ ...options, connections: CONNECTIONS, duration: DURATION_S });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const stack = await startBenchStack({ regions: ['api-unused'] });
  try {
    const { events, bigRollout } = await seedHistory(stack.pool, {
      totalEvents: quick ? 100_000 : 1_000_000,
      rollouts: quick ? 2_000 : 20_000,
      log,
    });
    await stack.pool.query('ANALYZE events');
    log('projecting');
    await new Projector(stack.pool, new PgEventStore(stack.pool, upcastEventData), undefined, 5_000).catchUp();
    await stack.pool.query('ANALYZE');
    const graphql = (query: string): autocannon.Options => ({
      url: `${stack.gateway.url}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('viewer')}` },
      body: JSON.stringify({ query }),
    });
    // each query answers data, not errors (which would still be HTTP 200)
    for (const query of [LIST, BY_ID]) {
      const res = await fetch(`${stack.gateway.url}/graphql`, graphql(query) as RequestInit);
      const body = (await res.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`${query} failed: ${JSON.stringify(body.errors)}`);
    }
    const healthz = await drive('GET /healthz', { url: `${stack.gateway.url}/healthz` });
    const rollouts = await drive('rollouts(first: 50)', graphql(LIST));
    const rollout = await drive(
      'rollout(id)',
      graphql(`
        {
          rollout(id: "bench-7") {
            id
            status
            service
            version
            pushedRegions
            stopReason
          }
        }
      `),
    );
    const results = {
      seededEvents: events,
      healthz,
      rolloutsFirst50: rollouts,
      rolloutById: rollout,
      vsHealthz: {
        rolloutsFirst50: Math.round((rollouts.requestsPerSecond / healthz.requestsPerSecond) * 100) / 100,
        rolloutById: Math.round((rollout.requestsPerSecond / healthz.requestsPerSecond) * 100) / 100,
      },
    };
    const clean = [healthz, rollouts, rollout].every((m) => m.non2xx === 0 && m.errors === 0);
    const report: Report = {
      name: quick ? 'api-quick' : 'api',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.source }),
      parameters: { durationSeconds: DURATION_S, connections: CONNECTIONS, seededEvents: events, bigRollout },
      results,
      targets: [
        {
          what: 'every request answered 2xx',
          target: 'all',
          measured: clean ? 'all' : 'some failed',
          met: clean,
        },
      ],
      notes: [
        'autocannon runs in this process against the gateway process; both share the machine with Temporal and PostgreSQL.',
        '/healthz answers without touching PostgreSQL or Temporal: it is the floor of the HTTP stack (Nest, Express, helmet).',
        'Both GraphQL queries pass through authentication, the depth and cost rules and the NUL check.',
      ],
    };
    publish(stack.root, report, log);
  } finally {
    await stack.stop();
  }
}

runBench(main);
