import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import type { RolloutEvent } from '../../../libs/domain/src';
import { exposition } from '../../../libs/platform/src/metrics-exposition';
import { registerProcessMetrics } from '../../../libs/platform/src/process-metrics';
import type { RegionPush } from './activities/region.activities';

/** The event that finishes a rollout, and the outcome it is counted under. */
const FINISHED_BY: Partial<Record<RolloutEvent['type'], string>> = {
  RolloutSucceeded: 'succeeded',
  RolloutRolledBack: 'rolled_back',
  PrecheckFailed: 'failed',
  RolloutFailed: 'failed',
  RolloutAbandoned: 'abandoned',
};

/** Seconds: an HTTP region answers in milliseconds, a git target commits and pushes in seconds. */
const PUSH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The worker's own metrics: counters of what the events it records say happened, and how long
 * pushes to regions take. Each fact is counted once, by the worker that recorded it, so a
 * `sum` across workers is right. Nothing here reads a database: state that lives in the read
 * models (waves in progress, pending approvals, region versions) is exported by the gateway,
 * and so are rollouts started (`sluice_rollouts_started_total`, counted where they start).
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly finished: Counter<'service' | 'outcome'>;
  private readonly rollbacksFailed: Counter<'service'>;
  private readonly gates: Counter<'service' | 'kind' | 'verdict'>;
  private readonly pushes: Histogram<'service' | 'kind' | 'outcome'>;

  constructor() {
    registerProcessMetrics(this.registry);
    this.finished = new Counter({
      name: 'sluice_rollouts_finished_total',
      help: 'Rollouts finished, by service and outcome: succeeded, rolled_back, failed, abandoned (each rollout once).',
      labelNames: ['service', 'outcome'],
      registers: [this.registry],
    });
    this.rollbacksFailed = new Counter({
      name: 'sluice_rollbacks_failed_total',
      help: 'Rollbacks that could not finish (RollbackFailed), by service; the rollout then waits for a person.',
      labelNames: ['service'],
      registers: [this.registry],
    });
    this.gates = new Counter({
      name: 'sluice_gate_evaluations_total',
      help: 'Gate evaluations by service, gate kind and verdict (PASS, FAIL, NO_DATA).',
      labelNames: ['service', 'kind', 'verdict'],
      registers: [this.registry],
    });
    this.pushes = new Histogram({
      name: 'sluice_push_duration_seconds',
      help: 'Pushes of a config to a region, from the write to the read-back verifying it, by service, target kind and outcome (succeeded, failed).',
      labelNames: ['service', 'kind', 'outcome'],
      buckets: PUSH_BUCKETS,
      registers: [this.registry],
    });
  }

  /** Counts what a batch of newly recorded events says happened. */
  observe(service: string, events: readonly RolloutEvent[]): void {
    for (const event of events) {
      const outcome = FINISHED_BY[event.type];
      if (outcome) this.finished.inc({ service, outcome });
      if (event.type === 'RollbackFailed') this.rollbacksFailed.inc({ service });
      if (event.type === 'HealthGateEvaluated')
        this.gates.inc({ service, kind: event.data.kind, verdict: event.data.verdict });
    }
  }

  /** Records one push to a region of `kind` (http, etcd, git, …). */
  observePush(push: RegionPush): void {
    this.pushes.observe({ service: push.service, kind: push.kind, outcome: push.outcome }, push.seconds);
  }

  /**
   * Serves `GET /metrics` and `GET /healthz` (liveness: the process answers; it depends on no
   * database, so an outage of PostgreSQL never gets workers restarted) on `host`:`port`
   * (0: any free port).
   */
  async serve(port: number, host = '127.0.0.1'): Promise<{ url: string; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      exposition(this.registry).then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const { port: bound } = server.address() as AddressInfo;
    return {
      url: `http://${host}:${bound}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
}
