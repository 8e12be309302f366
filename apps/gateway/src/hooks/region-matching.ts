/**
 * How an alert's region label names one of the service's regions
 * (`SLUICE_ALERT_REGION_MATCH`):
 * - `exact` (default): the label is the region's name.
 * - `zone`: the label is the region's name, or a zone of it: the name followed by one
 *   lowercase letter, with or without a dash (`eu-west-1a`, `europe-west1-b`). Never a longer
 *   name (`eu-west-10` is not a zone of `eu-west-1`).
 */
export const REGION_MATCH_MODES = ['exact', 'zone'] as const;
export type RegionMatchMode = (typeof REGION_MATCH_MODES)[number];

const ZONE_SUFFIX = /^-?[a-z]$/;

/** The service region the label is about, or undefined when it names none of them. */
export function matchRegion(label: string, regions: readonly string[], mode: RegionMatchMode): string | undefined {
  if (regions.includes(label)) return label;
  if (mode === 'exact') return undefined;
  return regions.find((region) => label.startsWith(region) && ZONE_SUFFIX.test(label.slice(region.length)));
}
