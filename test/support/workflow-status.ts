import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { readUntil } from './eventually';

/**
 * The workflow's description once it has closed. A rollout's final event is stored by an
 * activity; the workflow completes in the task after that activity reports back, a moment
 * later, so a rollout read as finished may still be RUNNING in Temporal.
 */
export function closedWorkflow(
  temporal: Client,
  workflowId: string,
  { runId, timeoutMs = 30_000 }: { runId?: string; timeoutMs?: number } = {},
): Promise<WorkflowExecutionDescription> {
  const handle = temporal.workflow.getHandle(workflowId, runId);
  return readUntil(
    () => handle.describe(),
    (description) => description.status.name !== 'RUNNING',
    { what: `workflow ${workflowId} to close`, timeoutMs, intervalMs: 100, show: (d) => d.status.name },
  );
}
