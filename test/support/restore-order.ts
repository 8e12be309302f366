import type { WorkflowHandle } from '@temporalio/client';

/**
 * The regions whose restores the rollout's latest run scheduled, each at its first restore, in
 * the order it scheduled them: read from its Temporal history (the restore activities' inputs),
 * so the order is what the workflow asked for, not the order in which the regions answered.
 */
export async function restoresScheduled(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  const regions = (history.events ?? []).flatMap((e) => {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name !== 'restoreRegionConfig') return [];
    const data = s.input?.payloads?.[0]?.data;
    if (!data) throw new Error('a restore activity was scheduled without an input');
    return [(JSON.parse(Buffer.from(data).toString('utf8')) as { region: string }).region];
  });
  return [...new Set(regions)];
}
