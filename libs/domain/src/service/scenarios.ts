import { z } from 'zod';
import type { FieldError } from '../errors';

/**
 * Customer scenarios (docs/SCENARIOS.md): Playwright spec files a team writes, run by Sluice
 * once per region and customer profile, and the profiles they run as.
 */

/** Largest scenario file accepted, in characters. */
export const MAX_SCENARIO_CHARS = 200_000;

const scenarioName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be lowercase letters, digits and "-" (at most 63), starting with a letter or digit',
  );

export const scenarioSchema = z.object({
  name: scenarioName,
  /** The Playwright spec file's text (TypeScript or JavaScript, `import { test, expect } from '@playwright/test'`). */
  source: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_SCENARIO_CHARS, `must be at most ${MAX_SCENARIO_CHARS} characters`),
  /** Each test of the file must end within this. */
  timeoutSeconds: z.number().int().min(1).max(600).default(60),
});
export type Scenario = z.infer<typeof scenarioSchema>;

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'must be an environment variable name (A-Z, 0-9, _)');

export const customerProfileSchema = z.object({
  /** The customer, as regions list it in `customers`. */
  customer: z.string().min(1).max(200),
  /** What the service knows of the customer: sent as `x-customer-<name>` headers (`plan: enterprise`). */
  attributes: z.record(headerName, z.string().max(200)).default({}),
  /**
   * Credentials by reference: each header's value is read from the worker's environment when
   * a scenario runs, never stored by Sluice nor written to its events.
   */
  credentials: z.record(headerName, envName).default({}),
});
export type CustomerProfile = z.infer<typeof customerProfileSchema>;

export const scenariosShape = {
  scenarios: z.array(scenarioSchema).max(50, 'at most 50 scenarios').default([]),
  customerProfiles: z.array(customerProfileSchema).max(1_000, 'at most 1,000 customer profiles').default([]),
};

/** Names used once: scenarios and customer profiles. */
export function checkScenarios(
  service: { scenarios: Array<{ name: string }>; customerProfiles: Array<{ customer: string }> },
  ctx: z.RefinementCtx,
): void {
  const once = <T>(items: T[], key: (t: T) => string, path: string, what: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const name = key(item);
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [path, i], message: `duplicate ${what} "${name}"` });
      seen.add(name);
    });
  };
  once(service.scenarios, (s) => s.name, 'scenarios', 'scenario');
  once(service.customerProfiles, (p) => p.customer, 'customerProfiles', 'customer profile');
}

/**
 * (scenario, customer) pairs a rollout's scenario gates may judge in all: each judge's state
 * (under 1 KB) lives in the rollout's run state, which a continue-as-new carries whole.
 */
export const MAX_JUDGED_PAIRS = 500;

/**
 * Why a rollout's scenario gates cannot run on this service (field errors, none when they
 * can): every scenario a gate names must be the service's, the service needs scenarios, and
 * some region must list customers to run them as.
 */
export function scenarioGateProblems(
  gates: ReadonlyArray<{ kind: string; scenarios?: readonly string[] }>,
  service: {
    name: string;
    scenarios: ReadonlyArray<{ name: string }>;
    regions: ReadonlyArray<{ customers: readonly string[] }>;
  },
): FieldError[] {
  const problems: FieldError[] = [];
  const known = new Set(service.scenarios.map((s) => s.name));
  const customers = new Set(service.regions.flatMap((r) => r.customers)).size;
  let pairs = 0;
  gates.forEach((gate, i) => {
    if (gate.kind !== 'scenario') return;
    if (known.size === 0) {
      problems.push({
        field: `gates.${i}`,
        message: `service "${service.name}" has no scenarios: register them with the service first (docs/SCENARIOS.md)`,
      });
      return;
    }
    const unknown = (gate.scenarios ?? []).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      problems.push({
        field: `gates.${i}.scenarios`,
        message: `not scenarios of service "${service.name}": ${unknown.join(', ')} (it has ${[...known].join(', ')})`,
      });
    }
    pairs += customers * (gate.scenarios?.length ?? known.size);
    if (service.regions.every((r) => r.customers.length === 0)) {
      problems.push({
        field: `gates.${i}`,
        message: `no region of service "${service.name}" lists customers to run its scenarios as`,
      });
    }
  });
  if (pairs > MAX_JUDGED_PAIRS) {
    problems.push({
      field: 'gates',
      message: `the scenario gates would judge ${pairs} (scenario, customer) pairs, more than ${MAX_JUDGED_PAIRS}: name fewer scenarios in them`,
    });
  }
  return problems;
}

/** The scenarios a rollout's scenario gates run: the union of the names they give, all of them if one names none. */
export function scenariosGated<T extends { name: string }>(
  gates: ReadonlyArray<{ kind: string; scenarios?: readonly string[] }>,
  scenarios: readonly T[],
): T[] {
  const gated = gates.filter((g) => g.kind === 'scenario');
  if (gated.length === 0) return [];
  if (gated.some((g) => g.scenarios === undefined)) return [...scenarios];
  const names = new Set(gated.flatMap((g) => g.scenarios ?? []));
  return scenarios.filter((s) => names.has(s.name));
}
