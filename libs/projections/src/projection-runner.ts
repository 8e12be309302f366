import type { Logger } from '../../platform/src/logger';
import type { Projector } from './projector';

/**
 * Keeps projections close behind the log in a long-running process: a catch-up after every
 * `trigger()` (appends call it) and on a timer as a safety net. Catch-ups in one process never
 * overlap; across processes the projector's checkpoint locks keep them apart.
 */
export class ProjectionRunner {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly projector: Projector,
    private readonly log: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.trigger(), this.intervalMs);
    this.timer.unref();
    void this.trigger();
  }

  /** Resolves once a catch-up that started after this call has finished (errors are logged). */
  trigger(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.projector.catchUp();
        } catch (err) {
          this.log.warn({ err }, 'projection catch-up failed; retrying on the next trigger');
        }
      } while (this.again);
      this.running = null;
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
