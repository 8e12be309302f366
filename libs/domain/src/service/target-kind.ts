/** The kinds of deployment target a region's endpoint may name, by its URL scheme (docs/TARGETS.md). */
export const TARGET_KINDS = ['http', 'etcd', 'git', 'unleash', 'kubernetes'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/**
 * The kind of target an endpoint names: `http:`/`https:` the HTTP region contract, `etcd:` one
 * etcd key, `git+…:` one file in a git repository, `unleash+http(s):` one feature flag's state
 * in one Unleash environment, `kubernetes+https:` one key of a ConfigMap; null for any other scheme. Pure, so the
 * workflow can record each region's kind in its first event.
 */
export function targetKindOf(endpoint: string): TargetKind | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(endpoint)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'etcd') return 'etcd';
  if (scheme === 'git+file' || scheme === 'git+ssh' || scheme === 'git+https' || scheme === 'git+http') return 'git';
  if (scheme === 'unleash+http' || scheme === 'unleash+https') return 'unleash';
  if (scheme === 'kubernetes+https') return 'kubernetes';
  return null;
}
