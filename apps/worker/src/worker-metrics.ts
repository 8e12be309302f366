import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RolloutEvent } from '../../../libs/domain/src';

const OUTCOME_OF: Partial<Record<RolloutEvent['type'], string>> = {
  RolloutSucceeded: 'succeeded',
  RolloutRolledBack: 'rolled_back',
  RollbackFailed: 'rollback_failed',
  PrecheckFailed: 'failed',
  RolloutFailed: 'failed',
};

/**
 * The worker's own metrics: rollouts by service and outcome, gate evaluations by verdict,
 * and waves in progress (read from the rollouts projection at scrape time, so every worker
 * reports the same truth).
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly rollouts: Counter<'service' | 'outcome'>;
  private readonly gates: Counter<'service' | 'kind' | 'verdict'>;

  constructor(pool: Pool) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_worker_' });
    this.rollouts = new Counter({
      name: 'sluice_rollouts_total',
      help: 'Rollouts by service and outcome: started, succeeded, rolled_back, rollback_failed, failed.',
      labelNames: ['service', 'outcome'],
      registers: [this.registry],
    });
    this.gates = new Counter({
      name: 'sluice_gate_evaluations_total',
      help: 'Gate evaluations by service, gate kind and verdict (PASS, FAIL, NO_DATA).',
      labelNames: ['service', 'kind', 'verdict'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'sluice_waves_in_progress',
      help: 'Rollouts in a wave right now (ROLLING or PAUSED), by service.',
      labelNames: ['service'],
      registers: [this.registry],
      async collect() {
        const { rows } = await pool.query<{ service: string; n: number }>(
          `SELECT service, count(*)::int AS n FROM rollouts WHERE status IN ('ROLLING', 'PAUSED') AND current_wave > 0 GROUP BY service`,
        );
        this.reset();
        for (const row of rows) this.set({ service: row.service }, row.n);
      },
    });
  }

  /** Counts what a batch of newly recorded events says happened. */
  observe(service: string, events: readonly RolloutEvent[]): void {
    for (const event of events) {
      if (event.type === 'RolloutRequested') this.rollouts.inc({ service, outcome: 'started' });
      const outcome = OUTCOME_OF[event.type];
      if (outcome) this.rollouts.inc({ service, outcome });
      if (event.type === 'HealthGateEvaluated')
        this.gates.inc({ service, kind: event.data.kind, verdict: event.data.verdict });
    }
  }

  /** Serves `GET /metrics` on 127.0.0.1:`port` (0: any free port). */
  async serve(port: number, host = '127.0.0.1'): Promise<{ url: string; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
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
