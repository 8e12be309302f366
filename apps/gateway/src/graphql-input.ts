/**
 * GraphQL sends explicit nulls for optional fields a client set to null; the domain treats
 * "absent" as "use the default", so nulls are dropped (deeply) before validation.
 * Class instances from Nest's input types become plain objects on the way.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}
