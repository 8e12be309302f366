/**
 * Event shapes change; stored events do not. Each event carries the schema version it was
 * written with (metadata.schemaVersion), and readers bring old shapes up to the current one
 * here, one version step at a time, before any code sees them.
 *
 * Version history:
 * - 1: the walking skeleton. RegionConfigPushed had no `wave`; RegionRolledBack did not exist
 *   yet, and its first shape lacked `configHash`.
 * - 2: RegionConfigPushed.wave is required (0 = recorded before plans had waves);
 *   RegionRolledBack.configHash is the hash of the restored config (null: unknown or cleared).
 */
export const CURRENT_EVENT_SCHEMA_VERSION = 2;

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

const UPCASTERS: Record<number, Partial<Record<string, Upcaster>>> = {
  1: {
    RegionConfigPushed: (data) => ({ ...data, wave: typeof data.wave === 'number' ? data.wave : 0 }),
    RegionRolledBack: (data) => ({ ...data, configHash: data.configHash ?? null }),
  },
};

/** Brings `data` of an event of `type` written at `schemaVersion` up to the current shape. */
export function upcastEventData(
  type: string,
  schemaVersion: number,
  data: Record<string, unknown>,
): Record<string, unknown> {
  let current = data;
  for (let version = schemaVersion; version < CURRENT_EVENT_SCHEMA_VERSION; version++) {
    const step = UPCASTERS[version]?.[type];
    if (step) current = step(current);
  }
  return current;
}
