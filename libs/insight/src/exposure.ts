/** A change to a region as incident insight needs it (a row of region_changes). */
export interface ChangeFact {
  region: string;
  rolloutId: string;
  kind: 'PUSH' | 'ROLLBACK';
  /** False for a re-push of what the region already ran. */
  changed: boolean;
  changedAt: Date;
}

export type ExposureEnd = 'ROLLED_BACK' | 'SUPERSEDED';

/** How long a region served a rollout's change. */
export interface Exposure {
  region: string;
  from: Date;
  /** Null while the region still serves the change. */
  until: Date | null;
  endedBy: ExposureEnd | null;
}

/**
 * When each region served `rolloutId`'s change: from its push, until the rollout rolled the
 * region back or another rollout changed it. `changes` are the service's changes in those
 * regions, oldest first; pushes that changed nothing expose no one anew.
 */
export function exposures(rolloutId: string, changes: readonly ChangeFact[]): Exposure[] {
  const open = new Map<string, Exposure>();
  const done: Exposure[] = [];
  const close = (region: string, at: Date, endedBy: ExposureEnd) => {
    const exposure = open.get(region);
    if (!exposure) return;
    done.push({ ...exposure, until: at, endedBy });
    open.delete(region);
  };
  for (const c of changes) {
    const ours = c.rolloutId === rolloutId;
    if (ours && c.kind === 'PUSH' && c.changed && !open.has(c.region)) {
      open.set(c.region, { region: c.region, from: c.changedAt, until: null, endedBy: null });
    } else if (ours && c.kind === 'ROLLBACK') {
      close(c.region, c.changedAt, 'ROLLED_BACK');
    } else if (!ours && c.changed) {
      close(c.region, c.changedAt, 'SUPERSEDED');
    }
  }
  return [...done, ...open.values()].sort(
    (a, b) => a.from.getTime() - b.from.getTime() || a.region.localeCompare(b.region),
  );
}

export interface AffectedCustomer extends Exposure {
  customer: string;
  rolledBack: boolean;
}

/** Every customer of every exposed region (customers per region from the topology), by customer then time. */
export function affectedCustomers(
  exposed: readonly Exposure[],
  customersOf: ReadonlyMap<string, readonly string[]>,
): AffectedCustomer[] {
  return exposed
    .flatMap((e) =>
      (customersOf.get(e.region) ?? []).map((customer) => ({
        ...e,
        customer,
        rolledBack: e.endedBy === 'ROLLED_BACK',
      })),
    )
    .sort((a, b) => a.customer.localeCompare(b.customer) || a.from.getTime() - b.from.getTime());
}
