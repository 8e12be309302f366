import type { Logger } from '../../platform/src/logger';
import { SerialTask } from '../../platform/src/serial-task';
import type { Projector } from './projector';

/**
 * Keeps projections close behind the log in a long-running process: a catch-up after every
 * `trigger()` (appends call it) and every second as a safety net. Catch-ups in one process
 * never overlap; across processes the projector's checkpoint locks keep them apart.
 */
export class ProjectionRunner extends SerialTask {
  constructor(projector: Projector, log: Logger, intervalMs = 1_000) {
    super('projection catch-up', () => projector.catchUp(), log, intervalMs);
  }
}
