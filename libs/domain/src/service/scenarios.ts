import { z } from 'zod';

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
