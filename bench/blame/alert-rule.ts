/** The alert rule of the simulated worlds, like deploy/prometheus/region-sim-rules.yml. */
import type { Alert, Metric, Series } from './world';

/** The rule's range: the share of bad requests is read over the last four buckets (two minutes). */
export const RULE_RANGE_BUCKETS = 4;

/** Fewer requests than this over the rule's two minutes say nothing (as a rule's `and` on traffic would). */
const MIN_ALERT_REQUESTS = 300;

/**
 * The share of bad requests over the last two minutes above `threshold`, on at least
 * MIN_ALERT_REQUESTS requests, for two evaluations in a row fires; it resolves after five
 * minutes below.
 */
export class AlertRule {
  private above = 0;
  private below = 0;
  private firing = false;

  constructor(
    private readonly series: Series,
    readonly metric: Metric,
    private readonly threshold: number,
  ) {}

  evaluate(b: number, requests: Float64Array, bad: Float64Array, at: number): Omit<Alert, 'truth'> | null {
    const first = b + 1 - RULE_RANGE_BUCKETS;
    if (first < 0) return null;
    const n = requests[b + 1] - requests[first];
    const ratio = n >= MIN_ALERT_REQUESTS ? (bad[b + 1] - bad[first]) / n : 0;
    if (ratio > this.threshold) {
      this.above += 1;
      this.below = 0;
    } else {
      this.below += 1;
      this.above = 0;
    }
    if (!this.firing && this.above >= 2) {
      this.firing = true;
      return { service: this.series.service, region: this.series.region, metric: this.metric, at };
    }
    if (this.firing && this.below >= 10) this.firing = false;
    return null;
  }
}
