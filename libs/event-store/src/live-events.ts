import { Client } from 'pg';
import type { Logger } from 'pino';
import type { PgEventStore, RecordedEvent } from './event-store';

/** The channel the events table notifies on each append (migration events-notify). */
export const EVENTS_CHANNEL = 'sluice_events';

export interface LiveEventsOptions {
  /** How often the heads of the watched streams are compared, in one query, in case a notification was lost. */
  catchUpMs: number;
  /** The wait before listening again after the listening connection was lost. */
  reconnectMs: number;
  /** Events per read. */
  batch: number;
}

export const DEFAULT_LIVE_EVENTS: LiveEventsOptions = { catchUpMs: 5_000, reconnectMs: 1_000, batch: 500 };

/** One follower of a stream: the position it has taken, and what the stream's reads gave it since. */
interface Follower {
  position: number;
  pending: RecordedEvent[];
  wake: (() => void) | null;
}

interface Watched {
  followers: Set<Follower>;
  /** The read in flight for this stream, if any; `again` asks for one more after it. */
  reading: Promise<void> | null;
  again: boolean;
}

type Store = Pick<PgEventStore, 'readStream' | 'streamHeads'>;

/**
 * Live delivery of events to any number of followers, with no polling per follower. One
 * connection LISTENs on the events channel; a notification for a stream that has followers
 * starts one read of it (coalesced while one is in flight), shared by all of them. Every
 * `catchUpMs`, one query compares the watched streams' heads with what their followers have,
 * so a notification lost with the connection only delays delivery. Each follower yields the
 * events in stream order, each once: positions are contiguous, a follower takes only the
 * position after its own, and fills any gap with a read of its own.
 */
export class LiveEvents {
  private readonly streams = new Map<string, Watched>();
  private listener: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Queries this hub sent: reads, head checks (followers' own history reads included). */
  queries = 0;

  constructor(
    private readonly store: Store,
    private readonly connectionString: string,
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    private readonly options: LiveEventsOptions = DEFAULT_LIVE_EVENTS,
  ) {}

  /** Starts listening; never throws: without the database it keeps trying, and followers wait. */
  async start(): Promise<void> {
    this.stopped = false;
    this.timer ??= setInterval(() => void this.catchUp(), this.options.catchUpMs);
    this.timer.unref();
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconnect) clearTimeout(this.reconnect);
    this.timer = this.reconnect = null;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    // followers waiting now end: their transports close with the server
    for (const watched of this.streams.values()) for (const f of watched.followers) f.wake?.();
  }

  /** Streams with followers now. */
  get watchedStreams(): number {
    return this.streams.size;
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /**
   * The stream's events after `after`: the stored ones first, then each new one as it is
   * recorded. Runs until the caller stops iterating, `signal` aborts (a generator's return()
   * waits for the pending next(), which may be a long wait), or the hub stops.
   */
  async *follow(streamId: string, after = 0, signal?: AbortSignal): AsyncGenerator<RecordedEvent> {
    const follower: Follower = { position: after, pending: [], wake: null };
    const watched = this.watch(streamId, follower);
    try {
      for (;;) {
        const ready = this.take(follower);
        const events = ready ?? (await this.read(streamId, follower.position));
        for (const event of events) {
          if (event.streamPosition !== follower.position + 1) continue;
          follower.position = event.streamPosition;
          yield event;
        }
        if (ready !== null || events.length === this.options.batch) continue;
        if (this.stopped || signal?.aborted) return;
        // caught up: wait for the stream's next shared read to hand this follower something
        if (follower.pending.length === 0) {
          await new Promise<void>((resolve) => {
            follower.wake = resolve;
            signal?.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        follower.wake = null;
        if (this.stopped || signal?.aborted) return;
      }
    } finally {
      watched.followers.delete(follower);
      if (watched.followers.size === 0 && this.streams.get(streamId) === watched) this.streams.delete(streamId);
    }
  }

  /** The pending events that follow the follower's position; null when they do not (a gap to read). */
  private take(follower: Follower): RecordedEvent[] | null {
    const pending = follower.pending.filter((e) => e.streamPosition > follower.position);
    follower.pending = [];
    if (pending.length === 0 || pending[0].streamPosition !== follower.position + 1) return null;
    return pending;
  }

  private watch(streamId: string, follower: Follower): Watched {
    let watched = this.streams.get(streamId);
    if (!watched) {
      watched = { followers: new Set(), reading: null, again: false };
      this.streams.set(streamId, watched);
    }
    watched.followers.add(follower);
    return watched;
  }

  private read(streamId: string, after: number): Promise<RecordedEvent[]> {
    this.queries++;
    return this.store.readStream(streamId, { after, limit: this.options.batch });
  }

  /** One read of the stream from the follower furthest behind, handed to every follower. */
  private refresh(streamId: string): void {
    const watched = this.streams.get(streamId);
    if (!watched) return;
    if (watched.reading) {
      watched.again = true;
      return;
    }
    watched.reading = (async () => {
      do {
        watched.again = false;
        const from = Math.min(...[...watched.followers].map((f) => f.pending.at(-1)?.streamPosition ?? f.position));
        let events: RecordedEvent[];
        try {
          events = await this.read(streamId, from);
        } catch (err) {
          // the next notification or catch-up tries again
          this.log.warn({ err, streamId }, 'live events: reading the stream failed');
          return;
        }
        for (const follower of watched.followers) {
          const last = follower.pending.at(-1)?.streamPosition ?? follower.position;
          const fresh = events.filter((e) => e.streamPosition > last);
          if (fresh.length === 0) continue;
          follower.pending.push(...fresh);
          follower.wake?.();
        }
        if (events.length === this.options.batch) watched.again = true;
      } while (watched.again && !this.stopped);
    })().finally(() => {
      watched.reading = null;
    });
  }

  /** Compares the watched streams' heads with their followers' positions, in one query. */
  private async catchUp(): Promise<void> {
    if (this.streams.size === 0 || this.stopped) return;
    let heads: Map<string, number>;
    try {
      this.queries++;
      heads = await this.store.streamHeads([...this.streams.keys()]);
    } catch {
      return;
    }
    for (const [streamId, watched] of this.streams) {
      const behind = [...watched.followers].some(
        (f) => (heads.get(streamId) ?? 0) > (f.pending.at(-1)?.streamPosition ?? f.position),
      );
      if (behind) this.refresh(streamId);
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.connectionString });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      try {
        const { s } = JSON.parse(message.payload) as { s: string; p: number };
        if (this.streams.has(s)) this.refresh(s);
      } catch {
        // not ours: ignored
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    // whatever was appended while nobody listened is read now
    for (const streamId of this.streams.keys()) this.refresh(streamId);
  }

  private lost(client: Client, err: unknown): void {
    if (this.listener === client) this.listener = null;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped || this.reconnect) return;
    this.log.warn({ err }, `live events: not listening; again in ${this.options.reconnectMs} ms`);
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      void this.listen();
    }, this.options.reconnectMs);
    this.reconnect.unref();
  }
}

/**
 * An iterator whose return() ends it at once, even while it waits: what a subscription
 * transport calls when the client goes away.
 */
export function abortable<T>(make: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const inner = make(controller.signal);
  return {
    next: () => inner.next(),
    return: (value?: unknown) => {
      controller.abort();
      return inner.return(value as T);
    },
    throw: (err?: unknown) => {
      controller.abort();
      return inner.throw(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
