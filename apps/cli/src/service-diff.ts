import { dirname, resolve } from 'node:path';
import { parseServiceTopology, type ServiceTopology } from '../../../libs/domain/src';
import { readDataFile, type LoadedDocument } from './documents';

/** The GraphQL selection that reads back everything a `kind: Service` file sets. */
export const SERVICE_FIELDS = `
  name
  regions { name endpoint weight tier pair customers }
  configSchema
  freezeWindows { start end reason }
  recurringFreezes { cron duration timeZone reason }
  gateTemplates { definition }
  rolloutTemplates { name description definition }
  onIncident
  dependencyFields { path kind role }
  redundancy { pairSharedDependency concentration selfDependency crossService concentrationMaxShare crossServiceMinServices }
  scenarios { name source timeoutSeconds }
  customerProfiles { customer attributes credentials }
`;

export interface ServerService {
  name: string;
  regions: Array<{
    name: string;
    endpoint: string;
    weight: number;
    tier: string;
    pair: string | null;
    customers: string[];
  }>;
  configSchema: Record<string, unknown> | null;
  freezeWindows: Array<{ start: string; end: string; reason: string }>;
  recurringFreezes: Array<{ cron: string; duration: string; timeZone: string; reason: string }>;
  gateTemplates: Array<{ definition: Record<string, unknown> }>;
  rolloutTemplates: Array<{ name: string; description: string | null; definition: Record<string, unknown> }>;
  onIncident: string;
  dependencyFields: Array<{ path: string; kind: string; role: string }>;
  redundancy: Record<string, unknown>;
  scenarios: Array<{ name: string; source: string; timeoutSeconds: number }>;
  customerProfiles: Array<{
    customer: string;
    attributes: Record<string, string>;
    credentials: Record<string, string>;
  }>;
}

/** A `kind: Service` document as `registerService` takes it: `$ref` read, tiers as the enum spells them. */
export function serviceInput(doc: LoadedDocument): Record<string, unknown> {
  const { apiVersion: _v, kind: _k, configSchema, regions, ...rest } = doc.value;
  const ref = (configSchema as { $ref?: string } | undefined)?.$ref;
  return {
    ...rest,
    ...(Array.isArray(regions)
      ? {
          regions: (regions as Array<Record<string, unknown>>).map((r) => ({
            ...r,
            ...(typeof r.tier === 'string' ? { tier: r.tier.toUpperCase() } : {}),
          })),
        }
      : {}),
    ...(configSchema === undefined
      ? {}
      : { configSchema: ref !== undefined ? readDataFile(resolve(dirname(doc.file), ref)) : configSchema }),
  };
}

/** The same normal form for both sides of a diff: the server's own parse, defaults filled in. */
export function fileTopology(doc: LoadedDocument): ServiceTopology {
  const input = serviceInput(doc);
  const regions = ((input.regions ?? []) as Array<Record<string, unknown>>).map((r) => ({
    ...r,
    ...(typeof r.tier === 'string' ? { tier: r.tier.toLowerCase() } : {}),
  }));
  return parseServiceTopology({ ...input, regions });
}

export function serverTopology(service: ServerService): ServiceTopology {
  return parseServiceTopology({
    name: service.name,
    regions: service.regions.map((r) => ({
      name: r.name,
      endpoint: r.endpoint,
      weight: r.weight,
      tier: r.tier.toLowerCase(),
      ...(r.pair ? { pair: r.pair } : {}),
      customers: r.customers,
    })),
    ...(service.configSchema ? { configSchema: service.configSchema } : {}),
    freezeWindows: service.freezeWindows,
    recurringFreezes: service.recurringFreezes,
    gateTemplates: service.gateTemplates.map((g) => g.definition),
    rolloutTemplates: service.rolloutTemplates.map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      ...t.definition,
    })),
    onIncident: service.onIncident,
    dependencyFields: service.dependencyFields,
    redundancy: service.redundancy,
    scenarios: service.scenarios,
    customerProfiles: service.customerProfiles,
  });
}

export interface Change {
  op: '+' | '-' | '~';
  path: string;
  from?: unknown;
  to?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const named = (v: unknown): v is Array<{ name: string }> =>
  Array.isArray(v) && v.every((item) => isObject(item) && typeof item.name === 'string');

/**
 * What would change from `before` to `after`, field by field. Lists of named things (regions,
 * templates) are compared by name, so reordering is not a change and one edited region is one line.
 */
export function diffValues(before: unknown, after: unknown, path = ''): Change[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === undefined) return [{ op: '+', path, to: after }];
  if (after === undefined) return [{ op: '-', path, from: before }];
  if (named(before) && named(after)) {
    const keyed = (list: Array<{ name: string }>) => new Map(list.map((item) => [item.name, item]));
    const [b, a] = [keyed(before), keyed(after)];
    const names = [...new Set([...b.keys(), ...a.keys()])];
    return names.flatMap((name) => diffValues(b.get(name), a.get(name), `${path}[${name}]`));
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], path ? `${path}.${key}` : key));
  }
  return [{ op: '~', path, from: before, to: after }];
}

const show = (v: unknown) => JSON.stringify(v);

export function formatChange(change: Change): string {
  if (change.op === '+') return `+ ${change.path}: ${show(change.to)}`;
  if (change.op === '-') return `- ${change.path}: ${show(change.from)}`;
  return `~ ${change.path}: ${show(change.from)} → ${show(change.to)}`;
}
