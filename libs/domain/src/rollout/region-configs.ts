import { z } from 'zod';
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
  return templateVariables(config).filter((name) => !(VARIABLES as readonly string[]).includes(name));
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

/** A rollout's per-region config, as `startRollout` and `planRollout` take it. */
export const regionConfigFields = {
  /** Merged over `config` for the regions named (RFC 7386), before the template is filled in. */
  regionOverrides: z
    .array(
      z.object({
        region: z.string().trim().min(1, 'must not be empty'),
        config: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
      }),
    )
    .max(10_000, 'must list at most 10,000 regions')
    .optional(),
  /** Fill `{{region}}` and `{{service}}` in every region's config. */
  configTemplate: z.boolean().optional(),
};

export interface RegionConfigRequest {
  config: Record<string, unknown>;
  regionOverrides?: ReadonlyArray<{ region: string; config: Record<string, unknown> }>;
  configTemplate?: boolean;
}

/**
 * Each region's effective config, or null when every region gets `config` as written (no
 * overrides, no template). A config that is not a template is pushed as written, `{{region}}`
 * text and all: it is the application's to read. Refused (BAD_USER_INPUT, nothing started): an
 * override for a region the service does not have or named twice, an unknown variable in a
 * template.
 */
export function regionConfigs(
  request: RegionConfigRequest,
  service: string,
  regions: readonly string[],
): Map<string, Record<string, unknown>> | null {
  const overrides = request.regionOverrides ?? [];
  const known = new Set(regions);
  const seen = new Set<string>();
  overrides.forEach(({ region }, i) => {
    const field = `regionOverrides.${i}.region`;
    if (!known.has(region)) {
      throw SluiceError.badInput(`regionOverrides names region "${region}", which ${service} does not have`, [
        { field, message: `unknown region "${region}"` },
      ]);
    }
    if (seen.has(region)) {
      throw SluiceError.badInput(`regionOverrides names region "${region}" twice`, [
        { field, message: `"${region}" is named twice` },
      ]);
    }
    seen.add(region);
  });
  const documents = [request.config, ...overrides.map((o) => o.config)];
  if (request.configTemplate) {
    const unknown = [...new Set(documents.flatMap(unknownConfigVariables))];
    if (unknown.length > 0) {
      const listed = unknown.map((name) => `{{${name}}}`).join(', ');
      throw SluiceError.badInput(`unknown config variable ${listed}: use {{region}} or {{service}}`, [
        { field: 'config', message: `unknown variable ${listed}` },
      ]);
    }
  } else if (overrides.length === 0) {
    // not a template: pushed as written, `{{...}}` text included (an application may template it)
    return null;
  }
  const byRegion = Object.fromEntries(overrides.map((o) => [o.region, o.config]));
  const render = request.configTemplate ? renderConfig : (config: unknown) => config;
  return new Map(
    regions.map((region) => {
      const merged = Object.hasOwn(byRegion, region) ? mergePatch(request.config, byRegion[region]) : request.config;
      return [region, render(merged, { region, service }) as Record<string, unknown>];
    }),
  );
}

/** Every `{{name}}` a config's strings (keys too) use. */
function templateVariables(config: unknown): string[] {
  const names = new Set<string>();
  visitStrings(config, (s) => {
    for (const m of s.matchAll(VARIABLE)) names.add(m[1]);
  });
  return [...names];
}
