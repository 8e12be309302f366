import { z } from 'zod';

/**
 * A probe gate: a synthetic customer request against each region of the wave, judged by
 * its status and, optionally, a substring of the body.
 */
/**
 * What keeps a probe path under its region's endpoint: no dot segments, no encoded dot, slash
 * or backslash, no backslash, no `//` start and no control character (null when it is fine).
 */
export function probePathProblem(path: string): string | null {
  const [pathPart] = path.split('?', 1);
  if (pathPart.startsWith('//')) return 'must not start with "//"';
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(pathPart)) return 'must not contain a backslash or a control character';
  if (/%(2e|2f|5c)/i.test(pathPart)) return 'must not encode ".", "/" or "\\"';
  if (pathPart.split('/').some((segment) => segment === '.' || segment === '..'))
    return 'must not contain "." or ".." segments';
  return null;
}

export const probeGateSchema = z.object({
  kind: z.literal('probe'),
  name: z.string().min(1).max(100),
  /** Appended to the region endpoint, e.g. `/probe`. */
  path: z
    .string()
    .startsWith('/', 'must start with "/"')
    .max(500)
    .superRefine((path, ctx) => {
      const problem = probePathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
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

const TEMPLATE_VARIABLE = /\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g;
/**
 * `{{interval}}` is the rollout's gate interval as a PromQL duration (`30s`); parseStartRollout
 * fills it in, so gates reach the workflow with `{{region(s)}}` and `{{service}}` only.
 */
const PROMETHEUS_VARIABLES = ['region', 'service', 'interval'] as const;
const CANARY_VARIABLES = ['regions', 'service', 'interval'] as const;
/** What is left to fill when a query is evaluated: `{{interval}}` is gone by then. */
const RENDERED_VARIABLES = ['region', 'service'] as const;
const RENDERED_CANARY_VARIABLES = ['regions', 'service'] as const;

/** Why `name` cannot be used where `allowed` are the variables, or null when it can. */
function templateProblem(name: string, allowed: readonly string[]): string | null {
  if (allowed.includes(name)) return null;
  if (name === 'region' && allowed.includes('regions')) {
    return 'a canary query reads several regions at once, so {{region}} is not available: match them with region=~"{{regions}}"';
  }
  if (name === 'regions' && allowed.includes('region')) {
    return 'a prometheus gate is evaluated per region, so {{regions}} is not available: use {{region}}';
  }
  const names = allowed.map((v) => `{{${v}}}`);
  return `unknown template variable {{${name}}}; use ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** One issue per variable a template may not use, on the field that holds it. */
function checkTemplate(template: string, allowed: readonly string[], ctx: z.RefinementCtx): void {
  for (const [, name] of template.matchAll(TEMPLATE_VARIABLE)) {
    const problem = templateProblem(name, allowed);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
}

function canaryQuery(fallback: string) {
  return z
    .string()
    .min(1)
    .max(4_000)
    .superRefine((query, ctx) => checkTemplate(query, CANARY_VARIABLES, ctx))
    .default(fallback);
}

/** A pre-change window in seconds: 1 minute to 7 days. */
const baselineWindow = (fallback: number) =>
  z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(fallback);

/**
 * A PromQL expression evaluated per region through Prometheus's HTTP API. `{{region}}` and
 * `{{service}}` are filled in; the wave passes while `value <comparison> threshold` holds.
 */
export const prometheusGateSchema = z.object({
  kind: z.literal('prometheus'),
  name: z.string().min(1).max(100),
  query: z
    .string()
    .min(1)
    .max(4_000)
    .superRefine((query, ctx) => checkTemplate(query, PROMETHEUS_VARIABLES, ctx)),
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

/**
 * The sequential canary judge (docs/CANARY-JUDGE.md). Each interval the workflow reads the
 * cumulative request and event counters of the wave's regions (canary) and of the regions
 * not yet changed (baseline) from Prometheus, series by series, and feeds the judge their
 * increase since the previous read: exact, non-overlapping counts, as the test assumes. The
 * queries must return counters (not rates), best one series per process (no outer `sum`),
 * so a restarted process is seen as a reset of its series only; `{{regions}}` becomes a
 * regex alternation of region names, `{{service}}` the service.
 */
export const canaryGateSchema = z
  .object({
    kind: z.literal('canary'),
    name: z.string().min(1).max(100),
    requestsQuery: canaryQuery('sluice_sim_requests_total{region=~"{{regions}}"}'),
    eventsQuery: canaryQuery('sluice_sim_requests_total{region=~"{{regions}}",code=~"5.."}'),
    alpha: z.number().gt(0).lt(1).default(0.05),
    beta: z.number().gt(0).lt(1).default(0.01),
    tolerance: z.number().gt(0).default(1),
    maxTolerated: z.number().gt(0).default(1.5),
    /** The largest canary/baseline ratio the judge considers; above `maxTolerated`. */
    maxRatio: z.number().gt(0).default(10),
    minRequests: z.number().int().min(0).default(500),
    maxDurationSeconds: z.number().int().min(1).default(3_600),
    /** The pre-change window the canary is compared with (`readCanaryBaseline`): 1 min to 7 days, a day by default. */
    baselineWindowSeconds: baselineWindow(86_400),
    noData: z.enum(NO_DATA_POLICIES).default('pause'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  })
  .superRefine((gate, ctx) => {
    if (!(gate.tolerance < gate.maxTolerated)) {
      ctx.addIssue({ code: 'custom', path: ['maxTolerated'], message: `must be above tolerance (${gate.tolerance})` });
    } else if (!(gate.maxTolerated < gate.maxRatio)) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxRatio'],
        message: `must be above maxTolerated (${gate.maxTolerated})`,
      });
    }
  });
export type CanaryGate = z.infer<typeof canaryGateSchema>;

/**
 * Customer scenarios judged while a wave bakes (docs/SCENARIOS.md): every interval each of
 * the service's scenarios runs for every customer of the wave's regions, and for a sample of
 * the unchanged regions' customers; per scenario and customer, the changed regions' failure
 * rate is judged against the controls' (and the customer's own before the change, from the
 * continuous runs) with the canary gate's anytime-valid judge. A FAIL names the customers.
 */
export const scenarioGateSchema = z
  .object({
    kind: z.literal('scenario'),
    name: z.string().min(1).max(100),
    /** The service's scenarios to run, by name; all of them when absent. */
    scenarios: z
      .array(z.string().min(1).max(63))
      .min(1, 'name at least one scenario, or leave the field out for all of them')
      .max(50)
      .optional(),
    /** (region, customer) runs of each scenario in the unchanged regions per interval. */
    controlSamples: z.number().int().min(1).max(50).default(6),
    alpha: z.number().gt(0).lt(1).default(0.05),
    beta: z.number().gt(0).lt(1).default(0.01),
    /** Failure-rate ratio (changed / control) still fine. */
    tolerance: z.number().gt(0).default(1),
    /** Ratio at or above which a customer's journey is broken. */
    maxTolerated: z.number().gt(0).default(5),
    /** Runs of a customer in the changed regions before a PASS. */
    minRuns: z.number().int().min(1).max(1_000).default(5),
    maxDurationSeconds: z.number().int().min(1).default(3_600),
    /** The continuous runs before the wave's push that give each customer's own failure rate. */
    baselineWindowSeconds: baselineWindow(3_600),
    /** Playwright workers: the bounded pool one interval's runs share. */
    workers: z.number().int().min(1).max(16).default(2),
    noData: z.enum(NO_DATA_POLICIES).default('pause'),
  })
  .superRefine((gate, ctx) => {
    if (!(gate.tolerance < gate.maxTolerated)) {
      ctx.addIssue({ code: 'custom', path: ['maxTolerated'], message: `must be above tolerance (${gate.tolerance})` });
    }
    const names = gate.scenarios ?? [];
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', path: ['scenarios'], message: 'names a scenario twice' });
    }
  });
export type ScenarioGate = z.infer<typeof scenarioGateSchema>;

export const gateSpecSchema = z.discriminatedUnion('kind', [
  probeGateSchema,
  prometheusGateSchema,
  alertsGateSchema,
  canaryGateSchema,
  scenarioGateSchema,
]);

/** A rollout's gates: at most 20, each named once (results and pauses are keyed by name). */
export const gatesSchema = z
  .array(gateSpecSchema)
  .max(20)
  .default([])
  .superRefine((gates, ctx) => {
    const seen = new Set<string>();
    gates.forEach((gate, i) => {
      if (seen.has(gate.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `another gate of this rollout is already named "${gate.name}"`,
        });
      }
      seen.add(gate.name);
    });
  });

/** Fills `{{regions}}` and `{{service}}` in a canary query; names any other variable. */
export function renderCanaryQuery(template: string, values: { regions: readonly string[]; service: string }): string {
  return template.replace(TEMPLATE_VARIABLE, (_match, name: string) => {
    if (name === 'regions') return values.regions.map((r) => r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    if (name === 'service') return values.service;
    throw new Error(templateProblem(name, RENDERED_CANARY_VARIABLES) ?? `{{${name}}}`);
  });
}
export type GateSpec = z.infer<typeof gateSpecSchema>;

export const TEMPLATE_VARIABLES = PROMETHEUS_VARIABLES;

/** A gate with `{{interval}}` in its queries replaced by `seconds` as a PromQL duration. */
export function withInterval(gate: GateSpec, seconds: number): GateSpec {
  const fill = (query: string) => query.replace(/\{\{\s*interval\s*\}\}/g, `${seconds}s`);
  switch (gate.kind) {
    case 'prometheus':
      return { ...gate, query: fill(gate.query) };
    case 'canary':
      return { ...gate, requestsQuery: fill(gate.requestsQuery), eventsQuery: fill(gate.eventsQuery) };
    default:
      return gate;
  }
}

/** Fills `{{region}}` and `{{service}}` in; any other `{{name}}` is an error naming it. */
export function renderQuery(template: string, values: { region: string; service: string }): string {
  return template.replace(TEMPLATE_VARIABLE, (_match, name: string) => {
    if (name === 'region' || name === 'service') return values[name];
    throw new Error(templateProblem(name, RENDERED_VARIABLES) ?? `{{${name}}}`);
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

/**
 * The numbers behind a canary judge's verdict (docs/CANARY-JUDGE.md), kept as fields so a
 * chart can be drawn: both e-values and their thresholds, the alpha and beta the tests spend,
 * the counts since the change and those of the pre-change window, and the canary's natural
 * rate relative to the controls (θ̂) with the bounds the tests use.
 */
export interface CanaryEvidence {
  eFail: number;
  ePass: number;
  failThreshold: number;
  passThreshold: number;
  alphaSpent: number;
  betaSpent: number;
  canaryRequests: number;
  canaryEvents: number;
  controlRequests: number;
  controlEvents: number;
  baselineCanaryRequests: number | null;
  baselineCanaryEvents: number | null;
  baselineControlRequests: number | null;
  baselineControlEvents: number | null;
  naturalRatio: number | null;
  naturalRatioUpper: number | null;
  naturalRatioLower: number | null;
  /** A PASS was reached; the FAIL test keeps watching until the wave is done. */
  passed: boolean;
  /** Why an INCONCLUSIVE: NO_BASELINE, TOO_LITTLE_TRAFFIC, UNDECIDED_AT_DEADLINE or MAX_DURATION. */
  reason: string | null;
  /** A FAIL from the deadline test: its p-value (null otherwise). */
  deadlinePValue?: number | null;
  elapsedSeconds: number;
}

/** A customer whose journey a scenario gate judged: its runs in the changed regions and the controls'. */
export interface ScenarioCustomerVerdict {
  scenario: string;
  customer: string;
  verdict: 'PASS' | 'FAIL' | 'CONTINUE' | 'INCONCLUSIVE';
  changedRuns: number;
  changedFailures: number;
  controlRuns: number;
  controlFailures: number;
  /** The evidence that the change broke this customer's journey. */
  eFail: number | null;
  /** Workflow time (ISO) of the first and last failed run in the changed regions; null without one. */
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  /** The changed regions where it failed. */
  regions: string[];
  /** The last failed run's error, cut to 300 characters. */
  error: string | null;
}

/** The numbers behind a scenario gate's verdict: each customer's, and what the interval's runs cost. */
export interface ScenarioEvidence {
  /** Each scenario's version (the hash of its text) that judged this wave. */
  versions: Record<string, string>;
  /** Customers that FAILed, then the rest of those with a failure in the changed regions. */
  customers: ScenarioCustomerVerdict[];
  /** Pairs judged, and how many passed. */
  judged: number;
  passed: number;
  /** This interval's runs and the Playwright process's wall time. */
  runs: number;
  wallMs: number;
  /** The same over the wave so far: the gate's cost. */
  totalRuns: number;
  totalWallMs: number;
}

/** One gate's verdict for one region at one moment. */
export interface GateEvaluation {
  gate: string;
  kind: GateSpec['kind'];
  region: string;
  verdict: 'PASS' | 'FAIL' | 'NO_DATA' | 'CONTINUE';
  value?: number | string;
  detail: string;
  /** The input evaluated (e.g. the rendered PromQL), kept with the verdict. */
  query?: string;
  /** For NO_DATA: what the gate's policy says to do. */
  noData?: NoDataPolicy;
  /** Prometheus gates: the line the value was held against (`value <comparison> threshold`), for a chart. */
  comparison?: Comparison;
  threshold?: number;
  /** Canary gates judged against a pre-change baseline: the numbers behind the verdict. */
  evidence?: CanaryEvidence;
  /** Scenario gates: each customer's verdict. */
  scenario?: ScenarioEvidence;
}
