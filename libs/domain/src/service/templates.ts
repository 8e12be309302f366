import { z } from 'zod';
import { SluiceError, type FieldError } from '../errors';
import { gateSpecSchema } from '../gates/gate-spec';
import { strategySchema } from '../plan/rollout-plan';

const templateName = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"');

/** A gate named by a service's gate template (`{ref: "error-rate"}`), renamed with `name`. */
export const gateRefSchema = z.strictObject({
  ref: templateName,
  /** The gate's name in this rollout; the template's name by default. */
  name: z.string().min(1).max(100).optional(),
});
export type GateRef = z.infer<typeof gateRefSchema>;

/** A gate as a rollout or a rollout template gives it: in full, or by reference to a template. */
export const gateOrRefSchema = z.union([gateRefSchema, gateSpecSchema]);

/**
 * A reusable analysis, defined once per service (like an AnalysisTemplate or MetricTemplate):
 * a gate whose name is the template's name. Its queries may use `{{interval}}` besides
 * `{{region}}` (`{{regions}}` for canary) and `{{service}}`.
 */
export const gateTemplateSchema = gateSpecSchema;

/** A named way to roll the service out: strategy and gates, each optional. */
export const rolloutTemplateSchema = z.object({
  name: templateName,
  description: z.string().max(2000).optional(),
  strategy: strategySchema.partial().optional(),
  gates: z.array(gateOrRefSchema).max(20).optional(),
  gateIntervalSeconds: z.number().int().min(1).max(3_600).optional(),
});
export type RolloutTemplate = z.infer<typeof rolloutTemplateSchema>;

/** Checks that template names are unique and every `ref` in a rollout template names a gate template. */
export function checkTemplates(
  service: { gateTemplates: { name: string }[]; rolloutTemplates: RolloutTemplate[] },
  ctx: z.RefinementCtx,
): void {
  const gateNames = uniqueNames(service.gateTemplates, 'gateTemplates', 'gate template', ctx);
  uniqueNames(service.rolloutTemplates, 'rolloutTemplates', 'rollout template', ctx);
  service.rolloutTemplates.forEach((template, i) => {
    (template.gates ?? []).forEach((gate, j) => {
      if ('ref' in gate && !gateNames.has(gate.ref)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rolloutTemplates', i, 'gates', j, 'ref'],
          message: unknownGateTemplate(gate.ref, gateNames),
        });
      }
    });
  });
}

/** The names of `items`, with an issue on each repeated one. */
function uniqueNames(items: { name: string }[], field: string, what: string, ctx: z.RefinementCtx): Set<string> {
  const names = new Set<string>();
  items.forEach((item, i) => {
    if (names.has(item.name)) {
      ctx.addIssue({ code: 'custom', path: [field, i, 'name'], message: `duplicate ${what} "${item.name}"` });
    }
    names.add(item.name);
  });
  return names;
}

function unknownGateTemplate(ref: string, known: ReadonlySet<string>): string {
  const names = [...known];
  return `no gate template "${ref}" on this service${names.length ? ` (it has ${names.join(', ')})` : ''}`;
}

interface TemplateSource {
  name: string;
  gateTemplates: z.infer<typeof gateTemplateSchema>[];
  rolloutTemplates: RolloutTemplate[];
}

/**
 * A start or plan request with its service's templates applied: `template` gives the strategy
 * (field by field, under the request's own), the gates and the interval the request leaves
 * out, and every `{ref}` gate becomes a copy of its gate template. The result is checked as
 * any request is; an unknown template is BAD_USER_INPUT on the field that names it.
 */
export function applyTemplates(request: Record<string, unknown>, service: TemplateSource): Record<string, unknown> {
  const { template: templateName, ...rest } = request;
  const problems: FieldError[] = [];
  let resolved: Record<string, unknown> = rest;
  if (templateName !== undefined) {
    const template = service.rolloutTemplates.find((t) => t.name === templateName);
    if (!template) {
      const names = service.rolloutTemplates.map((t) => t.name);
      throw SluiceError.badInput(`Invalid rollout request: template: no rollout template "${String(templateName)}"`, [
        {
          field: 'template',
          message: `no rollout template "${String(templateName)}" on service ${service.name}${names.length ? ` (it has ${names.join(', ')})` : ''}`,
        },
      ]);
    }
    resolved = {
      ...rest,
      strategy: { ...template.strategy, ...(rest.strategy as object | undefined) },
      gates: rest.gates ?? template.gates,
      gateIntervalSeconds: rest.gateIntervalSeconds ?? template.gateIntervalSeconds,
    };
  }
  if (Array.isArray(resolved.gates)) {
    const known = new Set(service.gateTemplates.map((g) => g.name));
    resolved.gates = resolved.gates.map((gate: unknown, i: number) => {
      if (!isRef(gate)) return gate;
      const extra = Object.keys(gate).filter((key) => key !== 'ref' && key !== 'name');
      if (extra.length > 0) {
        problems.push({
          field: `gates.${i}`,
          message: `a gate by ref takes only ref and name (the template holds ${extra.join(', ')})`,
        });
        return gate;
      }
      const found = service.gateTemplates.find((g) => g.name === gate.ref);
      if (!found) {
        problems.push({ field: `gates.${i}.ref`, message: unknownGateTemplate(gate.ref, known) });
        return gate;
      }
      return { ...found, name: gate.name ?? found.name };
    });
  }
  if (problems.length > 0) {
    throw SluiceError.badInput(
      `Invalid rollout request: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      problems,
    );
  }
  return resolved;
}

function isRef(gate: unknown): gate is { ref: string; name?: string } {
  return typeof gate === 'object' && gate !== null && typeof (gate as { ref?: unknown }).ref === 'string';
}
