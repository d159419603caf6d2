/**
 * The order event log (docs/decisions.md D90): every change of an order writes `order.updated`
 * (and `sms.received` when an SMS arrived) in the same transaction as the change, like an outbox.
 * A crash can therefore neither lose an event whose change committed nor invent one whose change
 * rolled back. Long-poll, server-sent events and webhooks all read this one record; the
 * in-process feed only says when to look.
 */
import type { ChangeFeed } from '../console/change-feed.js';
import type { IdGenerator } from '../ports/ids.js';
import { presentOrder } from '../order/order-presenter.js';
import type { Order } from '../order/order.js';
import type { EventRecord, EventStore, EventType } from './event-store.js';

export { EVENT_TYPES, type EventType } from './event-store.js';

export interface StoredEvent {
  seq: number;
  id: string;
  userId: string;
  orderId: string;
  type: EventType;
  createdAt: number;
  /** The event's JSON text (`{id, type, timestamp, data}`: the webhook body, the SSE `data`), the same bytes every time it is sent. */
  json: string;
}

const toEvent = (r: EventRecord): StoredEvent => ({
  seq: r.seq,
  id: r.id,
  userId: r.userId,
  orderId: r.orderId,
  type: r.type,
  createdAt: r.createdAt,
  json: `{"id":${JSON.stringify(r.id)},"type":${JSON.stringify(r.type)},"timestamp":${JSON.stringify(new Date(r.createdAt).toISOString())},"data":${r.data}}`,
});

/** Runs inside the transaction that writes an event (webhook deliveries are owed in it). */
export type EventHook = (event: { id: string; userId: string; type: EventType; createdAt: number }) => void;

export class EventLog {
  private readonly hooks: EventHook[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly ids: IdGenerator,
    private readonly feed?: ChangeFeed,
  ) {}

  /** Whether the log can still be read (the server has not closed its storage). */
  get open(): boolean {
    return this.store.open;
  }

  /** Work that must commit with each event (owing webhook deliveries). */
  onEvent(hook: EventHook): void {
    this.hooks.push(hook);
  }

  /** Called by the order store inside the transaction that creates or changes `next`. */
  record(prev: Order | undefined, next: Order): void {
    const data = JSON.stringify(presentOrder(next));
    const types: EventType[] = ['order.updated'];
    if (next.smsHistory.length > (prev?.smsHistory.length ?? 0)) types.push('sms.received');
    for (const type of types) {
      const id = this.ids.next('evt');
      this.store.insert({ id, userId: next.userId, orderId: next.id, type, data, createdAt: next.updatedAt });
      for (const hook of this.hooks) hook({ id, userId: next.userId, type, createdAt: next.updatedAt });
    }
    this.feed?.events(next.userId);
  }

  /** The user's events after `afterSeq` (all of them, or one order's), oldest first. */
  after(userId: string, afterSeq: number, limit: number, orderId?: string): StoredEvent[] {
    return this.store.after(userId, afterSeq, limit, orderId).map(toEvent);
  }

  get(id: string): StoredEvent | undefined {
    const record = this.store.findById(id);
    return record ? toEvent(record) : undefined;
  }

  /** The newest seq in the user's (or one order's) log; 0 when empty. */
  lastSeq(userId: string, orderId?: string): number {
    return this.store.lastSeq(userId, orderId);
  }
}
