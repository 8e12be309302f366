import { heartbeat } from '@temporalio/activity';
import {
  ErrorCode,
  compare,
  isSluiceError,
  renderQuery,
  type GateEvaluation,
  type AlertsGate,
  renderCanaryQuery,
  type ProbeGate,
  type PrometheusGate,
} from '../../../../libs/domain/src';
import type { AlertSource, MetricsSource, RegionClient } from '../../../../libs/targets/src';
import type {
  CanaryCountsInput,
  CanaryCountsResult,
  CheckGatesInput,
  EvaluateGatesInput,
  EvaluateTickInput,
  GateProblem,
  RegionRef,
  TickEvaluation,
} from '../../../../workflows/activity-contracts';

async function evaluateProbe(regions: RegionClient, gate: ProbeGate, target: RegionRef): Promise<GateEvaluation> {
  const base = { gate: gate.name, kind: gate.kind, region: target.region, query: `GET ${gate.path}` };
  try {
    const response = await regions.probe(target.endpoint, gate.path, gate.timeoutMs);
    const statusOk = response.status === gate.expectStatus;
    const bodyOk = gate.expectBodyContains === undefined || response.body.includes(gate.expectBodyContains);
    const expected = `expected ${gate.expectStatus}${gate.expectBodyContains ? ` with "${gate.expectBodyContains}"` : ''}`;
    return {
      ...base,
      verdict: statusOk && bodyOk ? 'PASS' : 'FAIL',
      value: response.status,
      detail: `GET ${gate.path} answered ${response.status} in ${response.latencyMs} ms; ${expected}${bodyOk ? '' : `; body: ${response.body.slice(0, 120)}`}`,
    };
  } catch (err) {
    // A probe that gets no answer is what a customer would see: a failure, not missing data.
    if (!isSluiceError(err)) throw err;
    return { ...base, verdict: 'FAIL', detail: err.message };
  }
}

/** A blip of Prometheus is retried (3 tries, 200 ms apart) before it counts as no data. */
async function withRetries<T>(work: () => Promise<T>, tries = 3, pauseMs = 200): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const retryable = isSluiceError(err) && err.code === ErrorCode.MetricsUnavailable;
      if (!retryable || attempt >= tries) throw err;
      await new Promise((r) => setTimeout(r, pauseMs * attempt));
    }
  }
}

async function evaluatePrometheus(
  metrics: MetricsSource,
  gate: PrometheusGate,
  service: string,
  target: RegionRef,
): Promise<GateEvaluation> {
  const query = renderQuery(gate.query, { region: target.region, service });
  const base = { gate: gate.name, kind: gate.kind, region: target.region, query };
  let samples;
  try {
    samples = await withRetries(() => metrics.query(query, gate.timeoutMs));
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: err.message };
  }
  if (samples.length === 0) {
    return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: `no data for ${query}` };
  }
  // Several series: judge the worst one for the comparison.
  const values = samples.map((s) => s.value);
  const value = gate.comparison.startsWith('<') ? Math.max(...values) : Math.min(...values);
  const pass = compare(value, gate.comparison, gate.threshold);
  return {
    ...base,
    verdict: pass ? 'PASS' : 'FAIL',
    value,
    detail: `${value} ${pass ? '' : 'not '}${gate.comparison} ${gate.threshold}`,
  };
}

async function evaluateAlerts(
  alerts: AlertSource,
  gate: AlertsGate,
  service: string,
  target: RegionRef,
): Promise<GateEvaluation> {
  const labels = { ...gate.labels, service, region: target.region };
  const base = { gate: gate.name, kind: gate.kind, region: target.region, query: JSON.stringify(labels) };
  let firing;
  try {
    firing = await alerts.firing(labels, gate.timeoutMs);
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: err.message };
  }
  return firing.length === 0
    ? { ...base, verdict: 'PASS', value: 0, detail: 'no firing alert matches' }
    : {
        ...base,
        verdict: 'FAIL',
        value: firing.length,
        detail: `firing: ${firing.map((a) => `${a.alertname} (${a.fingerprint}, since ${a.startsAt})`).join(', ')}`,
      };
}

export function createGateActivities(regions: RegionClient, metrics: MetricsSource, alerts: AlertSource) {
  const sum = async (template: string, regionsOf: string[], input: CanaryCountsInput): Promise<number | null> => {
    const query = renderCanaryQuery(template, { regions: regionsOf, service: input.service });
    const samples = await withRetries(() => metrics.query(query, input.gate.timeoutMs));
    return samples.length === 0 ? null : samples.reduce((total, s) => total + s.value, 0);
  };
  /** The canary judge's counters now: requests and events, canary and baseline, cumulative. */
  const readCanaryCounts = async (input: CanaryCountsInput): Promise<CanaryCountsResult> => {
    if (input.baselineRegions.length === 0) return { noData: 'no unchanged regions are left to serve as the baseline' };
    try {
      const [canaryRequests, canaryEvents, baselineRequests, baselineEvents] = await Promise.all([
        sum(input.gate.requestsQuery, input.canaryRegions, input),
        sum(input.gate.eventsQuery, input.canaryRegions, input),
        sum(input.gate.requestsQuery, input.baselineRegions, input),
        sum(input.gate.eventsQuery, input.baselineRegions, input),
      ]);
      if (canaryRequests === null || baselineRequests === null)
        return { noData: 'no request counts for the canary or the baseline' };
      return {
        totals: {
          canaryRequests,
          canaryEvents: canaryEvents ?? 0,
          baselineRequests,
          baselineEvents: baselineEvents ?? 0,
        },
      };
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      return { noData: err.message };
    }
  };

  const evaluateAll = async (
    input: EvaluateGatesInput,
    progress: (gate: string, region: string) => void = () => undefined,
  ): Promise<GateEvaluation[]> => {
    const results: GateEvaluation[] = [];
    for (const gate of input.gates) {
      for (const target of input.regions) {
        progress(gate.name, target.region);
        switch (gate.kind) {
          case 'probe':
            results.push(await evaluateProbe(regions, gate, target));
            break;
          case 'prometheus':
            results.push(await evaluatePrometheus(metrics, gate, input.service, target));
            break;
          case 'alerts':
            results.push(await evaluateAlerts(alerts, gate, input.service, target));
            break;
          case 'canary':
            // judged by the workflow from the canary counts, not per region
            break;
          default: {
            const unknown: never = gate;
            throw new Error(`unknown gate kind ${JSON.stringify(unknown)}`);
          }
        }
      }
    }
    return results;
  };

  return {
    readCanaryCounts,

    /** Evaluates every gate against every region of the wave once; heartbeats as it goes. */
    async evaluateGates(input: EvaluateGatesInput): Promise<GateEvaluation[]> {
      return evaluateAll(input, (gate, region) => heartbeat({ gate, region }));
    },

    /** One bake tick: the per-region gates and the canary gates' counters, read together; heartbeats as it goes. */
    async evaluateTick(input: EvaluateTickInput): Promise<TickEvaluation> {
      const [evaluations, canaryCounts] = await Promise.all([
        evaluateAll(input, (gate, region) => heartbeat({ gate, region })),
        Promise.all(input.canaries.map((c) => readCanaryCounts({ ...c, service: input.service }))),
      ]);
      return { evaluations, canaryCounts };
    },

    /**
     * Precheck: a gate that cannot work should fail the rollout before anything changes, not
     * halfway through. Templates must only use known variables, and each query must be
     * accepted by Prometheus.
     */
    async checkGates(input: CheckGatesInput): Promise<GateProblem[]> {
      const problems: GateProblem[] = [];
      for (const gate of input.gates) {
        if (gate.kind !== 'prometheus') continue;
        try {
          const queries = input.regions.map((r) =>
            renderQuery(gate.query, { region: r.region, service: input.service }),
          );
          await metrics.query(queries[0], gate.timeoutMs);
        } catch (err) {
          problems.push({ gate: gate.name, problem: err instanceof Error ? err.message : String(err) });
        }
      }
      return problems;
    },
  };
}
