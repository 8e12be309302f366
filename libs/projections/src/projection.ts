import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../event-store/src';

/**
 * A read model built from the event log. `apply` runs inside the transaction that also moves
 * the projection's checkpoint, so each event is applied exactly once, whatever crashes.
 */
export interface Projection {
  readonly name: string;
  /** Tables this projection owns; emptied by a rebuild. */
  readonly tables: readonly string[];
  apply(client: PoolClient, events: readonly RecordedEvent[]): Promise<void>;
}
