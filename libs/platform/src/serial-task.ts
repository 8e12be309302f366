import type { Logger } from './logger';

/**
 * Runs `work` after every `trigger()` and on a timer, never twice at once in this process:
 * a trigger during a run schedules exactly one more run. Failures are logged and retried on
 * the next trigger or tick.
 */
export class SerialTask {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly name: string,
    private readonly work: () => Promise<unknown>,
    private readonly log: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.trigger(), this.intervalMs);
    this.timer.unref();
    void this.trigger();
  }

  /** Resolves once a run that started after this call has finished. */
  trigger(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.work();
        } catch (err) {
          this.log.warn({ err, task: this.name }, `${this.name} failed; retrying on the next trigger`);
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
