import { JSONPath } from 'jsonpath-plus';
import type { DependencyField, DependencyRole } from '../../domain/src/service/redundancy-policy';
import { canonicalJson } from '../../domain/src/rollout/canonical-json';

/** What one region's config depends on: per kind, the values in each role. */
export type Dependencies = ReadonlyMap<string, Readonly<Record<DependencyRole, readonly string[]>>>;

/** `/a/*\/b` as a JSONPath path array: `~1` is `/`, `~0` is `~`, and `*` matches every key. */
function pointerPath(pointer: string): string[] {
  return [
    '$',
    ...pointer
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')),
  ];
}

/** A value as the rules compare it: a string as written, anything else as canonical JSON. */
const asValue = (v: unknown): string => (typeof v === 'string' ? v.trim() : canonicalJson(v));

/**
 * Reads the dependency fields of configs. One instance per service check: a config object
 * read once is remembered, since regions without an override share their config.
 */
export class DependencyReader {
  private readonly paths: ReadonlyArray<{ field: DependencyField; path: string }>;
  private readonly seen = new WeakMap<object, Dependencies>();

  constructor(fields: readonly DependencyField[]) {
    this.paths = fields.map((field) => ({
      field,
      // a string path is parsed once and cached by the library; an array is converted on every call
      path: field.path.startsWith('/') ? JSONPath.toPathString(pointerPath(field.path)) : field.path,
    }));
  }

  read(config: unknown): Dependencies {
    const out = new Map<string, Record<DependencyRole, string[]>>();
    if (config === null || typeof config !== 'object') return out;
    const known = this.seen.get(config);
    if (known) return known;
    for (const { field, path } of this.paths) {
      const found = JSONPath({ path, json: config as object, eval: 'safe', wrap: true }) as unknown[];
      const values = found.filter((v) => v !== null && v !== undefined && v !== '').map(asValue);
      if (values.length === 0) continue;
      const entry = out.get(field.kind) ?? { primary: [], failover: [] };
      for (const v of values) if (!entry[field.role].includes(v)) entry[field.role].push(v);
      out.set(field.kind, entry);
    }
    this.seen.set(config, out);
    return out;
  }
}
