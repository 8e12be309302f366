import { SluiceError } from '../errors';

/**
 * Each region's own config from one rollout: the region's override merged over a base config
 * as a JSON Merge Patch (RFC 7386: an object merges key by key, `null` deletes a key, anything
 * else replaces), then `{{region}}` and `{{service}}` filled in every string.
 * The redundancy rules, the push and the history all read this one result.
 */

const VARIABLE = /\{\{\s*([A-Za-z0-9_.-]*)\s*\}\}/g;
const VARIABLES = ['region', 'service'] as const;

/** The `{{name}}`s a config's strings use that are not `{{region}}` or `{{service}}`. */
export function unknownConfigVariables(config: unknown): string[] {
  const unknown = new Set<string>();
  visitStrings(config, (s) => {
    for (const m of s.matchAll(VARIABLE)) if (!(VARIABLES as readonly string[]).includes(m[1])) unknown.add(m[1]);
  });
  return [...unknown];
}

/** The config with `{{region}}` and `{{service}}` filled in every string (keys too). */
export function renderConfig(config: unknown, values: { region: string; service: string }): unknown {
  const fill = (s: string) =>
    !s.includes('{{')
      ? s
      : s.replace(VARIABLE, (_, name: string) => {
          if (name === 'region' || name === 'service') return values[name];
          throw SluiceError.badInput(`unknown config variable {{${name}}}: use {{region}} or {{service}}`, [
            { field: 'config', message: `unknown variable {{${name}}}` },
          ]);
        });
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return fill(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [fill(k), walk(v)]));
    }
    return value;
  };
  return walk(config);
}

/** RFC 7386 JSON Merge Patch: `patch` over `target`, neither changed. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

/** The config one region receives from a rollout. */
export function effectiveConfig(
  base: unknown,
  region: string,
  service: string,
  overrides: Readonly<Record<string, unknown>> = {},
): unknown {
  const merged = Object.hasOwn(overrides, region) ? mergePatch(base, overrides[region]) : base;
  return renderConfig(merged, { region, service });
}

function visitStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => visitStrings(v, visit));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      visit(k);
      visitStrings(v, visit);
    }
  }
}
