import { z } from 'zod';
import { ConfigError, loadEnv } from '../../platform/src/config';
import { DEFAULT_SCORE, DEFAULT_SHIFT, type ScoreOptions, type ShiftOptions } from './scoring';

/**
 * What incident insight reads from Prometheus. Each query must give one cumulative count per
 * region (`sum by (region)`) over `{{range}}`, for the service `{{service}}`. The defaults
 * read region-sim's metrics: series labelled with the service, or not labelled at all (one
 * simulator standing for every service).
 */
export interface InsightOptions {
  requestsQuery: string;
  errorsQuery: string;
  /** Requests slower than the latency objective. */
  slowQuery: string;
  /**
   * Optional per-customer counts, `sum by (region, customer)`, for the affected-customers
   * ranking; empty = off (every customer gets its region's rate). A customer with no series
   * falls back to its region's.
   */
  customerRequestsQuery: string;
  customerErrorsQuery: string;
  /** Seconds compared on each side of a change. */
  spanSeconds: number;
  timeoutMs: number;
  shift: ShiftOptions;
  score: ScoreOptions;
}

const SERVICE_SELECTOR = 'service=~"{{service}}|"';

export const DEFAULT_INSIGHT: InsightOptions = {
  requestsQuery: `sum by (region) (increase(sluice_sim_requests_total{${SERVICE_SELECTOR}}[{{range}}]))`,
  errorsQuery: `sum by (region) (increase(sluice_sim_requests_total{${SERVICE_SELECTOR},code=~"5.."}[{{range}}]))`,
  slowQuery:
    `sum by (region) (increase(sluice_sim_request_duration_seconds_count{${SERVICE_SELECTOR}}[{{range}}]))` +
    ` - sum by (region) (increase(sluice_sim_request_duration_seconds_bucket{${SERVICE_SELECTOR},le="0.3"}[{{range}}]))`,
  customerRequestsQuery: '',
  customerErrorsQuery: '',
  spanSeconds: 300,
  timeoutMs: 5_000,
  shift: DEFAULT_SHIFT,
  score: DEFAULT_SCORE,
};

export const INSIGHT_TEMPLATE_VARIABLES = ['service', 'range'] as const;

/** Fills `{{service}}` and `{{range}}` (a PromQL duration); any other `{{name}}` is an error naming it. */
export function renderInsightQuery(template: string, values: { service: string; rangeSeconds: number }): string {
  return template.replace(/\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g, (_match, name: string) => {
    if (name === 'service') return values.service;
    if (name === 'range') return `${Math.max(1, Math.round(values.rangeSeconds))}s`;
    throw new Error(`unknown template variable {{${name}}}; use {{service}} or {{range}}`);
  });
}

const template = z
  .string()
  .min(1)
  .max(4_000)
  .superRefine((value, ctx) => {
    try {
      renderInsightQuery(value, { service: 'svc', rangeSeconds: 60 });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

const optionalTemplate = z.union([z.literal(''), template]);

/** SLUICE_INSIGHT_* variables; an invalid one stops the process with a message naming it. */
export function loadInsightOptions(env: NodeJS.ProcessEnv = process.env): InsightOptions {
  const c = loadEnv(
    {
      SLUICE_INSIGHT_REQUESTS_QUERY: template.default(DEFAULT_INSIGHT.requestsQuery),
      SLUICE_INSIGHT_ERRORS_QUERY: template.default(DEFAULT_INSIGHT.errorsQuery),
      SLUICE_INSIGHT_SLOW_QUERY: template.default(DEFAULT_INSIGHT.slowQuery),
      SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY: optionalTemplate.default(DEFAULT_INSIGHT.customerRequestsQuery),
      SLUICE_INSIGHT_CUSTOMER_ERRORS_QUERY: optionalTemplate.default(DEFAULT_INSIGHT.customerErrorsQuery),
      SLUICE_INSIGHT_SPAN_SECONDS: z.coerce.number().int().min(10).max(86_400).default(DEFAULT_INSIGHT.spanSeconds),
    },
    env,
  );
  if ((c.SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY === '') !== (c.SLUICE_INSIGHT_CUSTOMER_ERRORS_QUERY === '')) {
    throw new ConfigError(
      'Invalid configuration:\n  SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY and SLUICE_INSIGHT_CUSTOMER_ERRORS_QUERY: set both, or neither',
    );
  }
  return {
    ...DEFAULT_INSIGHT,
    requestsQuery: c.SLUICE_INSIGHT_REQUESTS_QUERY,
    errorsQuery: c.SLUICE_INSIGHT_ERRORS_QUERY,
    slowQuery: c.SLUICE_INSIGHT_SLOW_QUERY,
    customerRequestsQuery: c.SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY,
    customerErrorsQuery: c.SLUICE_INSIGHT_CUSTOMER_ERRORS_QUERY,
    spanSeconds: c.SLUICE_INSIGHT_SPAN_SECONDS,
  };
}
