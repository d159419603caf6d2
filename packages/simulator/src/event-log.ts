/**
 * The simulator's ordered event log: API calls, upstream calls, SMS, clock moves and faults,
 * each stamped with virtual time and a sequence number. Its SHA-256 digest is how two runs with
 * the same seed are shown to be identical, byte for byte. What varies from run to run even with
 * the same seed (a request's real latency, which key it carried) goes in `meta`, outside the digest.
 */
import { createHash } from 'node:crypto';

export type SimEventType =
  | 'api.request'
  | 'upstream.call'
  | 'sms.delivered'
  | 'sms.dropped'
  | 'number.banned'
  | 'clock.advance'
  | 'fault.armed'
  | 'fault.fired'
  | 'fault.cleared'
  | 'stock.set'
  | 'user.created'
  | 'behaviour.set'
  | 'order.status'
  | 'facade.webhook'
  | 'reset';

export interface SimEvent {
  seq: number;
  at: string;
  type: SimEventType;
  data: Record<string, unknown>;
  /** Observations that differ between identical runs (real latency, key hints): shown, not digested. */
  meta?: Record<string, unknown>;
}

export class EventLog {
  private events: SimEvent[] = [];
  private hash = createHash('sha256');
  private seq = 0;
  private readonly listeners = new Set<(event: SimEvent) => void>();

  constructor(
    private readonly now: () => number,
    /** The log keeps at most this many events; older ones are dropped (the digest still covers them). */
    private readonly capacity = 100_000,
  ) {}

  record(type: SimEventType, data: Record<string, unknown> = {}, meta?: Record<string, unknown>): SimEvent {
    const event: SimEvent = { seq: ++this.seq, at: new Date(this.now()).toISOString(), type, data };
    this.hash.update(`${JSON.stringify(event)}\n`);
    if (meta) event.meta = meta;
    this.events.push(event);
    // Trimmed a tenth at a time: trimming one event per record would shift the whole array each time.
    if (this.events.length > this.capacity * 1.1) this.events.splice(0, this.events.length - this.capacity);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Calls `listener` with every event recorded from now on (the console's live feed). */
  subscribe(listener: (event: SimEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  list(options: { since?: number; type?: string; limit?: number } = {}): SimEvent[] {
    const since = options.since ?? 0;
    const out = this.events.filter(
      (e) => e.seq > since && (!options.type || e.type === options.type || e.type.startsWith(`${options.type}.`)),
    );
    return options.limit ? out.slice(0, options.limit) : out;
  }

  /** The SHA-256 of every event recorded so far, one JSON line each. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }

  get count(): number {
    return this.seq;
  }
}
