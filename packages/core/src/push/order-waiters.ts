/**
 * Long-poll waiters (docs/decisions.md D91): requests parked until their order changes. One feed
 * subscription serves them all, keyed by order id, and each waiter holds one timer, its deadline;
 * nothing runs while nothing changes, however many wait. The subscription exists only while
 * someone waits.
 */
import type { ChangeFeed } from '../console/change-feed.js';

export class OrderWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();
  private unsubscribe: (() => void) | undefined;
  private count = 0;
  /** Set once the server stops: no request waits any more. */
  closed = false;

  constructor(private readonly feed: ChangeFeed) {}

  get size(): number {
    return this.count;
  }

  /** Resolves when the order is written (committed), or after `ms`, whichever is first. */
  wait(orderId: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      let set = this.waiting.get(orderId);
      if (!set) this.waiting.set(orderId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiting.get(orderId) === set) this.waiting.delete(orderId);
        this.count -= 1;
        if (this.count === 0) this.stop();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      set.add(done);
      this.count += 1;
      this.unsubscribe ??= this.feed.subscribe((changes) => {
        for (const id of changes.orders) {
          const woken = this.waiting.get(id);
          if (woken) for (const wake of [...woken]) wake();
        }
      });
    });
  }

  /** Wakes every waiter, and stops further waits (the server is stopping): each answers with what it has. */
  wakeAll(): void {
    this.closed = true;
    for (const set of [...this.waiting.values()]) for (const wake of [...set]) wake();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
