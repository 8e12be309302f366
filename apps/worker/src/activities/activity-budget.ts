import { Context } from '@temporalio/activity';

/** Without an activity context (a direct call), work gets this long. */
const OUTSIDE_ACTIVITY_MS = 60_000;
/** Kept back from the activity's timeout to hand the answer back: 10%, at least 1 s, at most 15 s. */
const MARGIN = { share: 0.1, minMs: 1_000, maxMs: 15_000 };

function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // called outside an activity
  }
}

/**
 * The time an activity attempt may use, taken from its start-to-close (and schedule-to-close)
 * timeout less a margin: work that runs out of it answers "no data" instead of the attempt
 * timing out, which Temporal would retry and the workflow would take as a failure.
 */
export class Budget {
  private constructor(
    /** Epoch ms by which the work must have answered. */
    readonly deadline: number,
    private readonly context: Context | null,
  ) {}

  static ofActivity(now = Date.now()): Budget {
    const context = activityContext();
    if (!context) return new Budget(now + OUTSIDE_ACTIVITY_MS, null);
    const { startToCloseTimeoutMs, scheduleToCloseTimeoutMs, scheduledTimestampMs } = context.info;
    let end = now + (startToCloseTimeoutMs > 0 ? startToCloseTimeoutMs : OUTSIDE_ACTIVITY_MS);
    if (scheduleToCloseTimeoutMs > 0) end = Math.min(end, scheduledTimestampMs + scheduleToCloseTimeoutMs);
    const margin = Math.min(MARGIN.maxMs, Math.max(MARGIN.minMs, (end - now) * MARGIN.share));
    return new Budget(end - margin, context);
  }

  /** A deadline of its own for one piece of work, never past this one. */
  within(ms: number): Budget {
    return new Budget(Math.min(this.deadline, Date.now() + ms), this.context);
  }

  remainingMs(now = Date.now()): number {
    return Math.max(0, this.deadline - now);
  }

  /**
   * Waits for `work`, heartbeating `details()` meanwhile, often enough for the activity's
   * heartbeat timeout (a third of it), so parallel work that waits long is not taken for a stuck worker.
   */
  async heartbeating<T>(work: Promise<T>, details: () => unknown): Promise<T> {
    const context = this.context;
    const timeoutMs = context?.info.heartbeatTimeoutMs;
    if (!context || !timeoutMs) return work;
    context.heartbeat(details());
    const timer = setInterval(() => context.heartbeat(details()), Math.max(100, Math.min(timeoutMs / 3, 10_000)));
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }
}
