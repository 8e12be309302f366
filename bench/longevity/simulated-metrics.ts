import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Steady simulated traffic: the same in every region, so a change is healthy. */
export interface SimulatedTraffic {
  /** Requests a second, per region. */
  rps: number;
  /** Share of requests that fail with a 5xx. */
  errorShare: number;
}

export interface SimulatedMetrics {
  url: string;
  /** Queries answered: the canary gate's counters, and any other (answered with no data). */
  answered: { canary: number; other: number };
  close(): Promise<void>;
}

/** The canary gate's default queries, rendered (`requests{region=~"a|b"}`, summed or not), optionally `code=~"5.."`. */
const CANARY_QUERY = /^(?:sum\()?sluice_sim_requests_total\{region=~"([^"]*)"(,code=~"5\.\.")?\}\)?$/;

/**
 * The Prometheus query API (`GET /api/v1/query`) for the canary judge on the time-skipping
 * server. A real Prometheus scrapes in real time, so its counters cannot follow skipped time;
 * these counters are computed from the test server's clock instead: each region has served
 * `rps` requests a second since `origin`, `errorShare` of them failed. Any other query (the
 * halt assessment's) is answered with an empty vector, which Sluice reads as no data.
 */
export async function startSimulatedMetrics(options: {
  traffic: SimulatedTraffic;
  /** Workflow time now, in ms: the time-skipping server's clock. */
  clock: () => Promise<number>;
  origin: number;
}): Promise<SimulatedMetrics> {
  const { traffic, clock, origin } = options;
  const answered = { canary: 0, other: 0 };

  /** The counter at `at` (the query's `time`, as a baseline read asks) or now. */
  const counter = async (regions: string[], errorsOnly: boolean, at?: number): Promise<number> => {
    const seconds = Math.max(0, ((at ?? (await clock())) - origin) / 1000);
    const perRegion = Math.floor(traffic.rps * seconds * (errorsOnly ? traffic.errorShare : 1));
    return perRegion * regions.length;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metrics');
    const reply = (result: unknown[]) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    if (url.pathname !== '/api/v1/query') return void res.writeHead(404).end();
    const match = CANARY_QUERY.exec(url.searchParams.get('query') ?? '');
    if (!match) {
      answered.other++;
      return reply([]);
    }
    answered.canary++;
    const regions = match[1].split('|').map((r) => r.replace(/\\(.)/g, '$1'));
    const time = url.searchParams.get('time');
    counter(regions, match[2] !== undefined, time === null ? undefined : Number(time) * 1000).then(
      (value) => reply([{ metric: {}, value: [Date.now() / 1000, String(value)] }]),
      (err: unknown) => res.writeHead(503).end(JSON.stringify({ status: 'error', error: String(err) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
