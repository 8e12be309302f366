import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { performance } from 'node:perf_hooks';
import { liveStateQuery } from '../workflows/rollout.messages';
import { rolloutWorkflowId } from '../workflows/rollout.types';
import { postAlerts } from '../test/support/alertmanager-webhook';
import { percentile } from './bench-report';
import type { BenchStack } from './bench-stack';
import { REFERENCE_TASK_QUEUE } from './reference/reference-worker';
import { pokeSignal, pokesQuery } from './reference/reference.workflows';

/**
 * bench:halt's measurement, on whatever Temporal the stack runs: halts through the webhook,
 * each followed by a reference trial (a raw signal, then queries) on the same server.
 */
export const HALT_SERVICES = Array.from({ length: 8 }, (_, i) => ({
  name: `halt-${i}`,
  regions: [`h${i}-canary`, `h${i}-rest`],
}));
export const HALT_GATE_INTERVAL_MS = 1_000;
export const HALT_PROBE_DELAY_MS = 300;

/** Polls `probe` as fast as the server answers until it is true; returns when it was first seen true. */
export async function until(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) if (await probe()) return performance.now();
  throw new Error('timed out');
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function percentiles(xs: readonly number[]): Percentiles {
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(percentile(xs, 50)), p95: r(percentile(xs, 95)), p99: r(percentile(xs, 99)) };
}

export type HaltMeasurement = {
  haltLatencyMs: Percentiles;
  referenceSignalQueryMs: Percentiles;
  webhookAnsweredMs: Percentiles;
  phases: { evaluating: number; waiting: number };
  pushesAfterHalt: number;
  trials: number;
};

/** Registers HALT_SERVICES (their regions must be in the stack's region-sim) and runs `trials` halts. */
export async function measureHalts(
  stack: BenchStack,
  client: Client,
  { trials, runId, log }: { trials: number; runId: string; log: (msg: string) => void },
): Promise<HaltMeasurement> {
  for (const s of HALT_SERVICES) {
    await stack.registerService(s.name, s.regions);
    stack.sim.fleet.setFaults(s.regions[0], { probeDelayMs: HALT_PROBE_DELAY_MS });
  }

  // The reference is measured trial by trial between the halts, each on a fresh empty
  // workflow, so both see the same server, the same load and histories of the same size.
  const raw: number[] = [];
  const referenceTrial = async (i: number) => {
    const empty = await client.workflow.start('signalQueryReference', {
      taskQueue: REFERENCE_TASK_QUEUE,
      workflowId: `reference-${runId}-${i}`,
    });
    await empty.query(pokesQuery);
    const t0 = performance.now();
    await empty.signal(pokeSignal);
    const t1 = await until(async () => (await empty.query(pokesQuery)) > 0);
    raw.push(t1 - t0);
    await empty.terminate('reference measured');
  };

  log(`halts: ${trials} trials over ${HALT_SERVICES.length} services`);
  const latencies: number[] = [];
  /** Until the webhook's 200: the outbox commit. */
  const answered: number[] = [];
  const phases = { evaluating: 0, waiting: 0 };
  const rollouts: string[] = [];
  for (let i = 0; i < trials; i++) {
    const service = HALT_SERVICES[i % HALT_SERVICES.length];
    const handle = client.workflow.getHandle(rolloutWorkflowId(service.name));
    const id = await stack.startRollout({
      service: service.name,
      version: `v${i}`,
      config: { trial: i },
      strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 3_600, approvalAfterCanary: false },
      gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
      gateIntervalSeconds: HALT_GATE_INTERVAL_MS / 1000,
    });
    rollouts.push(id);
    await until(async () => (await handle.query(liveStateQuery)).phase === 'BAKING', 30_000);
    // Alternate the phase of the bake the halt meets: a gate evaluation in flight (the probe
    // answers 300 ms late), or the wait between two evaluations (the next tick's activity
    // waiting in its retry for its instant; a timer in runs before ticks-wait-in-activity).
    const phase = i % 2 === 0 ? 'evaluating' : 'waiting';
    await until(async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const evaluating = pending.some(
        (a) =>
          ['evaluateGates', 'evaluateTick'].includes(a.activityType?.name ?? '') &&
          a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
      return evaluating === (phase === 'evaluating');
    });
    phases[phase]++;
    const t0 = performance.now();
    const res = await postAlerts(stack.gateway.url, [
      {
        labels: { alertname: 'BenchHalt', service: service.name, region: service.regions[0] },
        fingerprint: `bench-${runId}-${i}`,
      },
    ]);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    answered.push(performance.now() - t0);
    const t1 = await until(async () => (await handle.query(liveStateQuery)).stopReason !== null);
    latencies.push(t1 - t0);
    await referenceTrial(i);
    await handle.result();
  }

  // no push after any halt: nothing of wave 2 was ever pushed, and no push event follows a halt
  const { rows } = await stack.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events p JOIN events h ON h.stream_id = p.stream_id
     WHERE h.type = 'RolloutHalted' AND p.type = 'RegionConfigPushed' AND p.stream_position > h.stream_position
       AND p.stream_id = ANY($1)`,
    [rollouts],
  );
  const restPushes = HALT_SERVICES.reduce(
    (n, s) => n + stack.sim.fleet.pushRequests(s.regions[1]).filter((p) => p.version !== null).length,
    0,
  );
  return {
    haltLatencyMs: percentiles(latencies),
    referenceSignalQueryMs: percentiles(raw),
    webhookAnsweredMs: percentiles(answered),
    phases,
    pushesAfterHalt: rows[0].n + restPushes,
    trials,
  };
}
