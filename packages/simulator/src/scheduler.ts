/**
 * Scheduled fake-upstream events (SMS deliveries, bans) in virtual time: a min-heap by time,
 * then by insertion order, so events at the same moment run in the order they were scheduled.
 */
export interface ScheduledEvent {
  at: number;
  seq: number;
  label: string;
  run: () => void | Promise<void>;
}

export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private seq = 0;

  schedule(at: number, label: string, run: () => void | Promise<void>): void {
    this.heap.push({ at, seq: this.seq++, label, run });
    this.up(this.heap.length - 1);
  }

  get size(): number {
    return this.heap.length;
  }

  /** The time of the earliest event after `after`, if any (events at or before it are due now). */
  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Runs every event due at or before `now`, in order; events they schedule for now run too. */
  async runDue(now: number): Promise<number> {
    let ran = 0;
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const ev = this.pop()!;
      await ev.run();
      ran += 1;
    }
    return ran;
  }

  clear(): void {
    this.heap = [];
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): ScheduledEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
