import { z } from 'zod';

/**
 * What a service's config says about its dependencies, and how strictly a change that
 * turns redundancy into a single point of failure is refused (docs/REDUNDANCY.md). The rules
 * themselves read configs through a JSONPath library, so they live in libs/redundancy; this
 * file is the part a service definition and a workflow may hold.
 */

export const SPOF_RULES = [
  'SPOF_PAIR_SHARED_DEPENDENCY',
  'SPOF_CONCENTRATION',
  'SPOF_SELF_DEPENDENCY',
  'SPOF_CROSS_SERVICE',
] as const;
export type SpofRule = (typeof SPOF_RULES)[number];

export const SPOF_SEVERITIES = ['error', 'warning', 'off'] as const;
export type SpofSeverity = (typeof SPOF_SEVERITIES)[number];

/**
 * `primary`: the value is something the region depends on (a database primary, an upstream
 * host, a certificate). `failover`: the value names where the region fails over to (a region
 * name or a dependency value); it must not be the region itself or its own primary.
 */
export const DEPENDENCY_ROLES = ['primary', 'failover'] as const;
export type DependencyRole = (typeof DEPENDENCY_ROLES)[number];

/** A JSON Pointer segment's escapes are `~0` and `~1` only (RFC 6901). */
const POINTER = /^(\/([^~/]|~[01])*)+$/;

/**
 * What is wrong with a dependency field's path, or null: a JSON Pointer (`/database/primary`,
 * `*` as a segment matches every key or item) or a JSONPath expression (`$.upstream[*].host`).
 */
export function dependencyPathProblem(path: string): string | null {
  if (path.startsWith('/')) {
    if (!POINTER.test(path)) return `"${path}" is not a JSON Pointer (escape ~ as ~0, / as ~1)`;
    // the JSONPath engine that matches pointers cannot name a key holding ]
    return path.includes(']') ? `"${path}": a dependency field cannot name a key holding ]` : null;
  }
  if (!path.startsWith('$')) return `"${path}" is neither a JSON Pointer (/a/b) nor a JSONPath expression ($.a.b)`;
  let depth = 0;
  let quote: string | null = null;
  for (const ch of path) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '[' || ch === '(') depth += 1;
    else if (ch === ']' || ch === ')') depth -= 1;
    if (depth < 0) break;
  }
  return depth === 0 && quote === null ? null : `"${path}" is not a JSONPath expression: unbalanced brackets or quotes`;
}

export const dependencyFieldSchema = z.object({
  path: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(512, 'must be at most 512 characters')
    .superRefine((path, ctx) => {
      const problem = dependencyPathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** What the value is: `database`, `upstream`, `certificate`, … Values are compared within a kind. */
  kind: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes, starting with a letter'),
  role: z.enum(DEPENDENCY_ROLES).default('primary'),
});
export type DependencyField = z.infer<typeof dependencyFieldSchema>;

const severity = (fallback: SpofSeverity) =>
  z.enum(SPOF_SEVERITIES, { error: `must be one of ${SPOF_SEVERITIES.join(', ')}` }).default(fallback);

/** Per rule, an error (refused unless an admin overrides it), a warning, or off. */
export const redundancyPolicySchema = z.object({
  pairSharedDependency: severity('error'),
  concentration: severity('error'),
  selfDependency: severity('error'),
  crossService: severity('warning'),
  /** SPOF_CONCENTRATION: more than this share of the service's traffic weight on one value. */
  concentrationMaxShare: z.number().gt(0).lte(1).default(0.5),
  /** SPOF_CROSS_SERVICE: this many other services already on a value the change adds weight to. */
  crossServiceMinServices: z.number().int().min(1).max(1_000).default(1),
});
export type RedundancyPolicy = z.infer<typeof redundancyPolicySchema>;
export const DEFAULT_REDUNDANCY_POLICY: RedundancyPolicy = redundancyPolicySchema.parse({});

/** The policy's severity for a rule. */
export function severityOf(policy: RedundancyPolicy, rule: SpofRule): SpofSeverity {
  switch (rule) {
    case 'SPOF_PAIR_SHARED_DEPENDENCY':
      return policy.pairSharedDependency;
    case 'SPOF_CONCENTRATION':
      return policy.concentration;
    case 'SPOF_SELF_DEPENDENCY':
      return policy.selfDependency;
    case 'SPOF_CROSS_SERVICE':
      return policy.crossService;
    default: {
      const never: never = rule;
      return never;
    }
  }
}
