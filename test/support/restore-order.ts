import type { WorkflowHandle } from '@temporalio/client';

/** A restore activity the rollout scheduled: one region's, or every region's at once. */
export interface ScheduledRestore {
  type: 'restoreRegionConfig' | 'restoreRegionConfigs';
  regions: string[];
}

/** The restore activities of the rollout's latest run, in the order it scheduled them, from its Temporal history. */
export async function restoreActivities(handle: WorkflowHandle): Promise<ScheduledRestore[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e): ScheduledRestore[] => {
    const s = e.activityTaskScheduledEventAttributes;
    const type = s?.activityType?.name;
    if (type !== 'restoreRegionConfig' && type !== 'restoreRegionConfigs') return [];
    const data = s!.input?.payloads?.[0]?.data;
    if (!data) throw new Error('a restore activity was scheduled without an input');
    const input = JSON.parse(Buffer.from(data).toString('utf8')) as
      { region: string } | { restores: { region: string }[] };
    return [{ type, regions: 'restores' in input ? input.restores.map((r) => r.region) : [input.region] }];
  });
}

/**
 * The regions whose restores the rollout's latest run scheduled, each at its first restore, in
 * the order it scheduled them: read from its Temporal history (the restore activities' inputs,
 * one region each or all at once), so the order is what the workflow asked for, not the order
 * in which the regions answered.
 */
export async function restoresScheduled(handle: WorkflowHandle): Promise<string[]> {
  return [...new Set((await restoreActivities(handle)).flatMap((r) => r.regions))];
}
