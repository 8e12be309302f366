import { v5 as uuidv5 } from 'uuid';

/** Namespace for Sluice's name-based (v5) event ids. Never change it: ids would stop matching. */
const SLUICE_EVENT_NAMESPACE = '5b0c7f0e-3a7d-4d8e-9a55-2f1e0c4b9d61';

/**
 * The id of the event a workflow run records at `step`. Deterministic, so an activity retry
 * (or a second writer recording the same fact) produces the same id and the append is a no-op.
 */
export function eventIdFor(workflowId: string, runId: string, step: number | string): string {
  return uuidv5(`${workflowId}/${runId}/${step}`, SLUICE_EVENT_NAMESPACE);
}
