import { z } from 'zod';

/**
 * A probe gate: a synthetic customer request against each region of the wave, judged by
 * its status and, optionally, a substring of the body.
 */
export const probeGateSchema = z.object({
  kind: z.literal('probe'),
  name: z.string().min(1).max(100),
  /** Appended to the region endpoint, e.g. `/probe`. */
  path: z.string().startsWith('/', 'must start with "/"').max(500),
  expectStatus: z.number().int().min(100).max(599).default(200),
  expectBodyContains: z.string().max(1000).optional(),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});
export type ProbeGate = z.infer<typeof probeGateSchema>;

export const COMPARISONS = ['<', '<=', '>', '>='] as const;
export type Comparison = (typeof COMPARISONS)[number];
/** What to do when a gate has no data: fail the wave, pause for a person (default), or pass. */
export const NO_DATA_POLICIES = ['fail', 'pause', 'pass'] as const;
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];

/**
 * A PromQL expression evaluated per region through Prometheus's HTTP API. `{{region}}` and
 * `{{service}}` are filled in; the wave passes while `value <comparison> threshold` holds.
 */
export const prometheusGateSchema = z.object({
  kind: z.literal('prometheus'),
  name: z.string().min(1).max(100),
  query: z.string().min(1).max(4_000),
  comparison: z.enum(COMPARISONS),
  threshold: z.number().finite(),
  noData: z.enum(NO_DATA_POLICIES).default('pause'),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});
export type PrometheusGate = z.infer<typeof prometheusGateSchema>;

/**
 * The wave fails while Alertmanager has a firing alert whose `service` and `region` labels
 * match the rollout and one of the wave's regions (plus any extra `labels` given).
 */
export const alertsGateSchema = z.object({
  kind: z.literal('alerts'),
  name: z.string().min(1).max(100),
  labels: z.record(z.string(), z.string()).default({}),
  noData: z.enum(NO_DATA_POLICIES).default('pause'),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});
export type AlertsGate = z.infer<typeof alertsGateSchema>;

export const gateSpecSchema = z.discriminatedUnion('kind', [probeGateSchema, prometheusGateSchema, alertsGateSchema]);
export type GateSpec = z.infer<typeof gateSpecSchema>;

export const TEMPLATE_VARIABLES = ['region', 'service'] as const;

/** Fills `{{region}}` and `{{service}}` in; any other `{{name}}` is an error naming it. */
export function renderQuery(template: string, values: { region: string; service: string }): string {
  return template.replace(/\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g, (_match, name: string) => {
    if (name === 'region' || name === 'service') return values[name];
    throw new Error(
      `unknown template variable {{${name}}}; use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(' or ')}`,
    );
  });
}

export function compare(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
  }
}

/** One gate's verdict for one region at one moment. */
export interface GateEvaluation {
  gate: string;
  kind: GateSpec['kind'];
  region: string;
  verdict: 'PASS' | 'FAIL' | 'NO_DATA';
  value?: number | string;
  detail: string;
  /** The input evaluated (e.g. the rendered PromQL), kept with the verdict. */
  query?: string;
  /** For NO_DATA: what the gate's policy says to do. */
  noData?: NoDataPolicy;
}
