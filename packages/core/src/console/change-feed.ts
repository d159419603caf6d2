/**
 * In-process wake-ups after orders, balances or the event log change: the console's live view
 * (docs/decisions.md D113), long-poll waiters, server-sent event streams and the webhook sender
 * (D91). The order store, the event log and the ledger call `order()` / `events()` / `balance()`
 * inside their write transaction; listeners hear of it once the transaction is over (a microtask:
 * transactions here are synchronous), with the ids of one turn coalesced. A change that rolled
 * back only makes a listener read what is already stored — the durable record is the `events`
 * table, never this feed. With no listener, a call costs one check.
 */

export interface FeedChanges {
  /** Orders created or changed. */
  orders: string[];
  /** Users whose balance changed. */
  users: string[];
  /** Users with new rows in the event log (docs/decisions.md D90). */
  events: string[];
}

export type FeedListener = (changes: FeedChanges) => void;

export class ChangeFeed {
  private readonly listeners = new Set<FeedListener>();
  private orders = new Set<string>();
  private users = new Set<string>();
  private events_ = new Set<string>();
  private scheduled = false;
  private relay: ((kind: keyof FeedChanges, id: string) => void) | undefined;

  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  /**
   * Also tells other instances on the same database (docs/decisions.md D127): each change is passed
   * to `relay`, which sends it with the transaction's commit.
   */
  relayTo(relay: (kind: keyof FeedChanges, id: string) => void): void {
    this.relay = relay;
  }

  order(orderId: string): void {
    this.relay?.('orders', orderId);
    if (this.listeners.size === 0) return;
    this.orders.add(orderId);
    this.schedule();
  }

  balance(userId: string): void {
    this.relay?.('users', userId);
    if (this.listeners.size === 0) return;
    this.users.add(userId);
    this.schedule();
  }

  /** The user has new events in the log. */
  events(userId: string): void {
    this.relay?.('events', userId);
    if (this.listeners.size === 0) return;
    this.events_.add(userId);
    this.schedule();
  }

  /** Changes another instance committed: heard here as if made here, and not relayed again. */
  receive(changes: FeedChanges): void {
    if (this.listeners.size === 0) return;
    for (const id of changes.orders) this.orders.add(id);
    for (const id of changes.users) this.users.add(id);
    for (const id of changes.events) this.events_.add(id);
    this.schedule();
  }

  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const changes = { orders: [...this.orders], users: [...this.users], events: [...this.events_] };
      this.orders = new Set();
      this.users = new Set();
      this.events_ = new Set();
      for (const listener of [...this.listeners]) {
        try {
          listener(changes);
        } catch (err) {
          this.onError(err);
        }
      }
    });
  }
}
