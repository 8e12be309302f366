import { ErrorCode, SluiceError, isSluiceError } from '../../../../libs/domain/src';
import type { Budget } from './activity-budget';

/** A try with less time left than this is not started. */
const SHORTEST_TRY_MS = 50;

/** How long a metrics read may take at most: `tries` of `timeoutMs` each, with the pauses between. */
export function metricsReadMs(timeoutMs: number, tries = 3, pauseMs = 200): number {
  return tries * timeoutMs + (pauseMs * tries * (tries - 1)) / 2;
}

/**
 * A blip of Prometheus is retried (3 tries, 200 ms and 400 ms apart) before it counts as no
 * data; every try is cut to the time left in `budget`, so a hanging Prometheus costs at most
 * the budget, and its end is METRICS_UNAVAILABLE like any other silence.
 */
export async function withMetricsRetries<T>(
  budget: Budget,
  timeoutMs: number,
  work: (timeoutMs: number) => Promise<T>,
  tries = 3,
  pauseMs = 200,
): Promise<T> {
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const left = budget.remainingMs();
    if (left < SHORTEST_TRY_MS) break;
    try {
      return await work(Math.min(timeoutMs, left));
    } catch (err) {
      const retryable = isSluiceError(err) && err.code === ErrorCode.MetricsUnavailable;
      if (!retryable) throw err;
      lastError = err;
      if (attempt < tries) await new Promise((r) => setTimeout(r, Math.min(pauseMs * attempt, budget.remainingMs())));
    }
  }
  if (lastError) throw lastError;
  throw new SluiceError(ErrorCode.MetricsUnavailable, 'not read: the activity’s time ran out before its turn');
}
