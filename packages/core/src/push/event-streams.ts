/**
 * Server-sent events of the event log (docs/decisions.md D96): `GET /api/v1/events` (every order
 * of the key's user) and `GET /api/v1/orders/:id/events` (one order). Each frame is one event
 * with its id, type and JSON; a client that reconnects with `Last-Event-ID` gets everything after
 * that event from the log, so nothing is lost in between. A comment line every 15 s keeps proxies
 * from closing an idle stream (one shared timer for all streams). A client that falls more than
 * 4 MB behind is disconnected; it resumes from its last id.
 */
import type { ServerResponse } from 'node:http';
import type { Engine } from '../engine.js';
import { AppError } from '../errors/app-error.js';
import type { HandlerResult } from '../http/envelope.js';

const HEARTBEAT_MS = 15_000;
const MAX_BUFFERED = 4 * 1024 * 1024;
const MAX_PER_KEY = 20;
const PAGE = 500;

export interface EventStreamScope {
  userId: string;
  /** One order's events only. */
  orderId?: string;
  /** Streams open at once are counted per this key. */
  key: string;
}

class Stream {
  ended = false;
  constructor(
    readonly res: ServerResponse,
    readonly scope: EventStreamScope,
    public lastSeq: number,
  ) {}

  write(text: string): boolean {
    if (this.ended) return false;
    const ok = this.res.write(text);
    if (!ok && this.res.writableLength > MAX_BUFFERED) {
      this.end();
      return false;
    }
    return true;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.end();
  }
}

export class EventStreams {
  private readonly open = new Set<Stream>();
  private readonly perKey = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(private readonly engine: Engine) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * The answer that opens a stream. Without `lastEventId` a user's stream starts with the next
   * event and an order's stream with the order's whole history; with it, right after that event.
   */
  answer(scope: EventStreamScope, lastEventId: string | undefined): HandlerResult {
    const { events } = this.engine.push;
    let lastSeq: number;
    if (lastEventId !== undefined && lastEventId !== '') {
      const seen = events.get(lastEventId);
      if (!seen || seen.userId !== scope.userId || (scope.orderId !== undefined && seen.orderId !== scope.orderId)) {
        throw new AppError('BAD_REQUEST', 'Last-Event-ID: not an event of this stream; reconnect without it.');
      }
      lastSeq = seen.seq;
    } else lastSeq = scope.orderId === undefined ? events.lastSeq(scope.userId) : 0;
    if ((this.perKey.get(scope.key) ?? 0) >= MAX_PER_KEY) {
      throw new AppError('RATE_LIMITED', `This key already has ${MAX_PER_KEY} event streams open; close one first.`, {
        retryAfterSeconds: 5,
      });
    }
    return {
      status: 200,
      body: null,
      // The connection ends with the stream: a stopping server is not held open by a reused socket.
      headers: { 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no', Connection: 'close' },
      stream: { contentType: 'text/event-stream; charset=utf-8', start: (res) => this.start(res, scope, lastSeq) },
    };
  }

  private start(res: ServerResponse, scope: EventStreamScope, lastSeq: number): void {
    if (this.closed) {
      res.end('retry: 1000\n\n');
      return;
    }
    const stream = new Stream(res, scope, lastSeq);
    this.open.add(stream);
    this.perKey.set(scope.key, (this.perKey.get(scope.key) ?? 0) + 1);
    res.once('close', () => {
      stream.ended = true;
      this.open.delete(stream);
      const n = (this.perKey.get(scope.key) ?? 1) - 1;
      if (n > 0) this.perKey.set(scope.key, n);
      else this.perKey.delete(scope.key);
      if (this.open.size === 0) this.idle();
    });
    res.write('retry: 2000\n\n');
    this.unsubscribe ??= this.engine.feed.subscribe((changes) => {
      if (changes.events.length === 0) return;
      const users = new Set(changes.events);
      for (const s of this.open) if (users.has(s.scope.userId)) this.pump(s);
    });
    this.timer ??= setInterval(() => {
      for (const s of this.open) s.write(': heartbeat\n\n');
    }, HEARTBEAT_MS);
    this.timer.unref();
    this.pump(stream);
  }

  /** Sends the stream everything in the log after what it has. */
  private pump(stream: Stream): void {
    const { events } = this.engine.push;
    for (;;) {
      if (stream.ended || !events.open) return;
      const page = events.after(stream.scope.userId, stream.lastSeq, PAGE, stream.scope.orderId);
      for (const e of page) {
        if (!stream.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${e.json}\n\n`)) return;
        stream.lastSeq = e.seq;
      }
      if (page.length < PAGE) return;
    }
  }

  private idle(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Ends every stream (the server is stopping); clients reconnect with their last id. */
  close(): void {
    this.closed = true;
    for (const s of [...this.open]) s.end();
    this.idle();
  }
}
