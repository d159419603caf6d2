/**
 * Group commit: write transactions that arrive in the same turn of the event loop commit
 * together, with one fsync. Each runs inside its own savepoint, so one that throws (a balance
 * too low) rolls back alone and the others commit; each caller's promise settles only after the
 * batch is durable. This is a deferral to the next turn (setImmediate), not a timer.
 */
import type { Transactions } from './transactions.js';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Batches committed and writes in them, for operators and benchmarks. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(
    private readonly tx: Transactions,
    /** Commit without fsync (see Transactions.writeUnsynced): only for records whose loss on power failure is harmless. */
    private readonly unsynced = false,
    /**
     * Each write in its own savepoint, so one that throws rolls back alone (the default). Without:
     * a write that throws fails the whole batch, and the batch costs no savepoint round trips on
     * PostgreSQL — for writes that fail only when the database does (an insert of a new row).
     */
    private readonly isolate = true,
  ) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    // One write alone needs no savepoint: if it throws, the transaction rolls back, which undoes
    // exactly its writes (a round trip fewer per write on PostgreSQL).
    if (batch.length === 1) {
      this.flushOne(batch[0]!);
      return;
    }
    // Without isolation a write that throws fails the batch: the transaction rolls back.
    const run = this.isolate
      ? (item: Pending) => {
          try {
            outcomes.push({ ok: true, value: this.tx.savepoint(item.work) });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      : (item: Pending) => outcomes.push({ ok: true, value: item.work() });
    try {
      const body = () => batch.forEach(run);
      if (this.unsynced) this.tx.writeUnsynced(body);
      else this.tx.write(body);
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    this.stats.batches += 1;
    this.stats.writes += batch.length;
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.err);
    });
  }

  private flushOne(item: Pending): void {
    let value: unknown;
    try {
      value = this.unsynced ? this.tx.writeUnsynced(item.work) : this.tx.write(item.work);
    } catch (err) {
      item.reject(err);
      return;
    }
    this.stats.batches += 1;
    this.stats.writes += 1;
    item.resolve(value);
  }
}
