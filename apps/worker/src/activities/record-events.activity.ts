import { Context } from '@temporalio/activity';
import type { RolloutEvent } from '../../../../libs/domain/src';
import { eventIdFor, type PgEventStore } from '../../../../libs/event-store/src';
import type { RecordEventsInput, RecordEventsResult } from '../../../../workflows/activity-contracts';

/**
 * Appends a batch of the workflow's events. Event ids derive from workflow id, run id and
 * stream position, so a retry after a lost acknowledgement writes nothing twice.
 */
export function createRecordEvents(
  eventStore: PgEventStore,
  onAppended: (service: string, events: RolloutEvent[]) => void = () => undefined,
) {
  return async function recordEvents(input: RecordEventsInput): Promise<RecordEventsResult> {
    const execution = Context.current().info.workflowExecution;
    if (!execution) throw new Error('recordEvents runs only on behalf of a workflow');
    const { workflowId, runId } = execution;
    const events = input.events.map((event, i) => ({
      eventId: eventIdFor(workflowId, runId, input.expectedVersion + i + 1),
      type: event.type,
      data: event.data,
      metadata: {
        actor: input.actor,
        correlationId: input.streamId,
        workflowId,
        runId,
        schemaVersion: input.schemaVersion,
      },
    }));
    const result = await eventStore.append(input.streamId, events, input.expectedVersion);
    // Projections follow asynchronously: the event log, not the read model, is the record.
    if (result.appended) onAppended(input.service ?? 'unknown', input.events);
    return { version: result.version };
  };
}
