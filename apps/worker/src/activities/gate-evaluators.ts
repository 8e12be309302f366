import {
  compare,
  isSluiceError,
  renderQuery,
  type AlertsGate,
  type GateEvaluation,
  type ProbeGate,
  type PrometheusGate,
} from '../../../../libs/domain/src';
import {
  formatSampleValue,
  responseExcerpt,
  type AlertSource,
  type MetricsSource,
  type RegionClient,
} from '../../../../libs/targets/src';
import type { RegionRef } from '../../../../workflows/activity-contracts';
import type { Budget } from './activity-budget';
import { withMetricsRetries } from './metrics-retry';

const OUT_OF_TIME = 'not evaluated: the activity’s time ran out before its turn';

export async function evaluateProbe(
  regions: RegionClient,
  gate: ProbeGate,
  target: RegionRef,
  budget: Budget,
): Promise<GateEvaluation> {
  const base = { gate: gate.name, kind: gate.kind, region: target.region, query: `GET ${gate.path}` };
  const timeoutMs = Math.min(gate.timeoutMs, budget.remainingMs());
  // Sluice's own clock, not the region, ended this probe: a person decides, no rollback.
  const outOfTime = (detail: string): GateEvaluation => ({ ...base, verdict: 'NO_DATA', noData: 'pause', detail });
  if (timeoutMs <= 0) return outOfTime(OUT_OF_TIME);
  try {
    const response = await regions.probe(target.endpoint, gate.path, timeoutMs);
    const statusOk = response.status === gate.expectStatus;
    const bodyOk = gate.expectBodyContains === undefined || response.body.includes(gate.expectBodyContains);
    const expected = `expected ${gate.expectStatus}${gate.expectBodyContains ? ` with "${gate.expectBodyContains}"` : ''}`;
    return {
      ...base,
      verdict: statusOk && bodyOk ? 'PASS' : 'FAIL',
      value: response.status,
      detail: `GET ${gate.path} answered ${response.status} in ${response.latencyMs} ms; ${expected}${bodyOk ? '' : `; body: ${responseExcerpt(response.body, 120)}`}`,
    };
  } catch (err) {
    // A probe that gets no answer is what a customer would see: a failure, not missing data.
    if (!isSluiceError(err)) throw err;
    if (timeoutMs < gate.timeoutMs && budget.remainingMs() === 0) {
      return outOfTime(`cut short after ${timeoutMs} ms by the activity’s time: ${err.message}`);
    }
    return { ...base, verdict: 'FAIL', detail: err.message };
  }
}

export async function evaluatePrometheus(
  metrics: MetricsSource,
  gate: PrometheusGate,
  service: string,
  target: RegionRef,
  budget: Budget,
): Promise<GateEvaluation> {
  const query = renderQuery(gate.query, { region: target.region, service });
  const base = {
    gate: gate.name,
    kind: gate.kind,
    region: target.region,
    query,
    comparison: gate.comparison,
    threshold: gate.threshold,
  };
  const noData = (detail: string): GateEvaluation => ({ ...base, verdict: 'NO_DATA', noData: gate.noData, detail });
  let samples;
  try {
    samples = await withMetricsRetries(budget, gate.timeoutMs, (timeoutMs) => metrics.query(query, timeoutMs));
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    return noData(err.message);
  }
  if (samples.length === 0) return noData(`no data for ${query}`);
  // NaN (0/0: nothing to divide) is no data for its series; ±Inf (n/0) is a value, and judged.
  const values = samples.map((s) => s.value).filter((v) => !Number.isNaN(v));
  const nan = samples.length - values.length;
  if (values.length === 0) return noData(`NaN for ${nan === 1 ? 'the series' : `all ${nan} series`} of ${query}`);
  // Several series: judge the worst one for the comparison.
  const value = gate.comparison.startsWith('<') ? Math.max(...values) : Math.min(...values);
  const pass = compare(value, gate.comparison, gate.threshold);
  const shown = formatSampleValue(value);
  const skipped = nan > 0 ? `; ${nan} series NaN, no data` : '';
  return {
    ...base,
    verdict: pass ? 'PASS' : 'FAIL',
    value: shown,
    detail: `${shown} ${pass ? '' : 'not '}${gate.comparison} ${gate.threshold}${skipped}`,
  };
}

export async function evaluateAlerts(
  alerts: AlertSource,
  gate: AlertsGate,
  service: string,
  target: RegionRef,
  budget: Budget,
): Promise<GateEvaluation> {
  const labels = { ...gate.labels, service, region: target.region };
  const base = { gate: gate.name, kind: gate.kind, region: target.region, query: JSON.stringify(labels) };
  const timeoutMs = Math.min(gate.timeoutMs, budget.remainingMs());
  if (timeoutMs <= 0) return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: OUT_OF_TIME };
  let firing;
  try {
    firing = await alerts.firing(labels, timeoutMs);
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
