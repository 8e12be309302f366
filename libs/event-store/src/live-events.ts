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
}

type Store = Pick<PgEventStore, 'readStream' | 'readStreams' | 'streamHeads'>;

/**
 * Live delivery of events to any number of followers, with no polling per follower. One
 * connection LISTENs on the events channel; a notification for a stream that has followers
 * marks it, and one read serves every stream marked (those marked while it is in flight wait
 * for the next), shared by all their followers. Every
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
  /** Streams with news not read yet, and the read in flight. */
  private readonly dirty = new Set<string>();
  private flushing: Promise<void> | null = null;
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
    const wake = () => follower.wake?.();
    signal?.addEventListener('abort', wake, { once: true });
    // Stored events first, read by this follower; from then on it takes what the stream's
    // shared reads hand it (it was watching before its first read, so nothing falls between).
    let reading = true;
    try {
      while (!this.stopped && !signal?.aborted) {
        if (reading) {
          const events = await this.read(streamId, follower.position);
          for (const event of events) {
            if (event.streamPosition !== follower.position + 1) continue;
            follower.position = event.streamPosition;
            yield event;
          }
          reading = events.length === this.options.batch;
          continue;
        }
        const pending = follower.pending.filter((e) => e.streamPosition > follower.position);
        follower.pending = [];
        if (pending.length === 0) {
          await new Promise<void>((resolve) => (follower.wake = resolve));
          follower.wake = null;
        } else if (pending[0].streamPosition !== follower.position + 1) {
          // a gap (a shared read cut at the batch size): this follower reads it itself
          reading = true;
        } else {
          for (const event of pending) {
            if (event.streamPosition !== follower.position + 1) {
              reading = true;
              break;
            }
            follower.position = event.streamPosition;
            yield event;
          }
        }
      }
    } finally {
      signal?.removeEventListener('abort', wake);
      watched.followers.delete(follower);
      if (watched.followers.size === 0 && this.streams.get(streamId) === watched) this.streams.delete(streamId);
    }
  }

  private watch(streamId: string, follower: Follower): Watched {
    let watched = this.streams.get(streamId);
    if (!watched) {
      watched = { followers: new Set() };
      this.streams.set(streamId, watched);
    }
    watched.followers.add(follower);
    return watched;
  }

  private read(streamId: string, after: number): Promise<RecordedEvent[]> {
    this.queries++;
    return this.store.readStream(streamId, { after, limit: this.options.batch });
  }

  /**
   * Marks the stream as having news. One read at a time serves every stream marked: the
   * streams marked while a read is in flight wait for the next, so a burst over many rollouts
   * costs a few queries, and a lone append costs one with no delay.
   */
  private refresh(streamId: string): void {
    if (!this.streams.has(streamId)) return;
    this.dirty.add(streamId);
    this.flushing ??= this.flush().finally(() => {
      this.flushing = null;
      // marked after the loop's last look, before this ran
      if (this.dirty.size > 0 && !this.stopped) this.refresh([...this.dirty][0]);
    });
  }

  /** Reads the marked streams, each from its follower furthest behind, and hands the events over. */
  private async flush(): Promise<void> {
    while (this.dirty.size > 0 && !this.stopped) {
      const wants = [...this.dirty].flatMap((streamId) => {
        const watched = this.streams.get(streamId);
        if (!watched || watched.followers.size === 0) return [];
        const after = Math.min(...[...watched.followers].map((f) => f.pending.at(-1)?.streamPosition ?? f.position));
        return [{ streamId, after }];
      });
      this.dirty.clear();
      if (wants.length === 0) return;
      let read: Map<string, RecordedEvent[]>;
      try {
        this.queries++;
        read = await this.store.readStreams(wants, this.options.batch);
      } catch (err) {
        // the head check marks them again; no retry in a loop while the database is away
        this.log.warn({ err, streams: wants.length }, 'live events: reading the streams failed');
        this.dirty.clear();
        return;
      }
      for (const [streamId, events] of read) {
        for (const follower of this.streams.get(streamId)?.followers ?? []) {
          const last = follower.pending.at(-1)?.streamPosition ?? follower.position;
          const fresh = events.filter((e) => e.streamPosition > last);
          if (fresh.length === 0) continue;
          follower.pending.push(...fresh);
          follower.wake?.();
        }
        if (events.length === this.options.batch) this.dirty.add(streamId);
      }
    }
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
