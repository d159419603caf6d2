/**
 * The console's live feed as server-sent events (docs/decisions.md D113). An operator's stream
 * carries every order change, balance change and — with the simulator — its event log (the
 * request journal among it); a user's stream carries only that user's orders and balance, the
 * same rule as the API. Changes of one turn go out as one frame. A client that falls more than
 * 4 MB behind is told to `resync` (reload its lists) once it catches up, instead of being buffered
 * without bound. One shared timer sends every stream the server's time (`clock`, which is also its
 * heartbeat) while any is open.
 */
import type { ServerResponse } from 'node:http';
import type { Engine } from '../engine.js';
import { AppError } from '../errors/app-error.js';
import type { HandlerResult } from '../http/envelope.js';
import type { FeedChanges } from './change-feed.js';
import { ConsoleQueries } from './console-queries.js';

/** Extra events for operators (the simulator's event log): a subscribe function. */
export type DeveloperFeed = (listener: (event: unknown) => void) => () => void;

export interface StreamScope {
  /** Absent: an operator's stream (every user, and the developer feed). */
  userId?: string;
  /** Streams open at once are counted per this key. */
  key: string;
}

/** How often every stream gets the server's time (its heartbeat too): ages and time left follow a virtual clock. */
const CLOCK_MS = 5_000;
/** How far a client may fall behind before frames are dropped for a resync. */
const MAX_BUFFERED = 4 * 1024 * 1024;
const MAX_PER_KEY = 20;

class Stream {
  private blocked = false;
  private ended = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly streams: ConsoleStreams,
    readonly scope: StreamScope,
    onClose: () => void,
  ) {
    res.on('drain', () => {
      if (!this.blocked) return;
      this.blocked = false;
      this.send('resync', {});
    });
    res.once('close', () => {
      this.ended = true;
      for (const u of this.unsubscribe) u();
      onClose();
    });
  }

  listen(unsubscribe: () => void): void {
    this.unsubscribe.push(unsubscribe);
  }

  /** One frame; while the client is far behind, frames are dropped and a resync follows the drain. */
  send(event: string, data: unknown): void {
    if (this.ended || this.blocked) return;
    if (!this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) && this.res.writableLength > MAX_BUFFERED)
      this.blocked = true;
  }

  heartbeat(clock: unknown): void {
    this.send('clock', clock);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.end();
  }
}

export class ConsoleStreams {
  private readonly open = new Set<Stream>();
  private readonly perKey = new Map<string, number>();
  private readonly queries: ConsoleQueries;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly developerFeed?: DeveloperFeed,
    /** How fast the server's clock runs against real time: 0 for a manual virtual clock. Default 1. */
    private readonly clockSpeed: () => number = () => 1,
  ) {
    this.queries = new ConsoleQueries(engine.stores.consoleQueries);
  }

  get size(): number {
    return this.open.size;
  }

  answer(scope: StreamScope): HandlerResult {
    if ((this.perKey.get(scope.key) ?? 0) >= MAX_PER_KEY) {
      throw new AppError('RATE_LIMITED', `This sign-in already has ${MAX_PER_KEY} live feeds open; close a console tab first.`, {
        retryAfterSeconds: 5,
      });
    }
    return {
      status: 200,
      body: null,
      headers: { 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' },
      stream: { contentType: 'text/event-stream; charset=utf-8', start: (res) => this.start(res, scope) },
    };
  }

  private start(res: ServerResponse, scope: StreamScope): void {
    if (this.closed) {
      res.end('retry: 1000\n\n');
      return;
    }
    this.perKey.set(scope.key, (this.perKey.get(scope.key) ?? 0) + 1);
    const stream = new Stream(res, this, scope, () => {
      this.open.delete(stream);
      const n = (this.perKey.get(scope.key) ?? 1) - 1;
      if (n > 0) this.perKey.set(scope.key, n);
      else this.perKey.delete(scope.key);
      if (this.open.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
    this.open.add(stream);
    res.write('retry: 1000\n\n');
    stream.send('hello', this.clock());
    stream.listen(this.engine.feed.subscribe((changes) => this.forward(stream, changes)));
    if (scope.userId === undefined && this.developerFeed) {
      let batch: unknown[] = [];
      stream.listen(
        this.developerFeed((event) => {
          if (batch.length === 0) {
            queueMicrotask(() => {
              const events = batch;
              batch = [];
              stream.send('sim', events);
            });
          }
          batch.push(event);
        }),
      );
    }
    this.timer ??= setInterval(() => {
      const clock = this.clock();
      for (const s of this.open) s.heartbeat(clock);
    }, CLOCK_MS);
    this.timer.unref();
  }

  private clock(): { nowMs: number; speed: number } {
    return { nowMs: this.engine.clock.now(), speed: this.clockSpeed() };
  }

  private forward(stream: Stream, changes: FeedChanges): void {
    const { userId } = stream.scope;
    if (changes.orders.length > 0) {
      const orders = this.queries.ordersById(changes.orders).filter((o) => userId === undefined || o.userId === userId);
      if (orders.length > 0) {
        // The user's own view shows the public representation, nothing more.
        stream.send('orders', userId === undefined ? orders : orders.map(({ userId: _u, userName: _n, ...o }) => o));
      }
    }
    const users = userId === undefined ? changes.users : changes.users.filter((u) => u === userId);
    if (users.length > 0) stream.send('balances', this.queries.balances(users));
  }

  /** Ends every stream: the server is stopping, or the simulator was reset (clients reconnect). */
  close(): void {
    this.closed = true;
    for (const s of [...this.open]) s.end();
  }
}
