/**
 * Coalesces identical concurrent reads: while a GET of one order is in flight, every other
 * caller asking for the same order shares it instead of spending another request of the key's
 * budget. Each caller keeps its own AbortSignal; the shared request is aborted only when every
 * caller waiting on it has gone.
 */
interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiting: number;
  settled: boolean;
}

export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();

  /** `abortError` turns a caller's abort reason into the error that caller sees. */
  constructor(private readonly abortError: (reason: unknown) => unknown = (reason) => reason) {}

  run(key: string, signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(this.abortError(signal.reason));
    let flight = this.flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const created: Flight<T> = { promise: start(controller.signal), controller, waiting: 0, settled: false };
      const done = (): void => {
        created.settled = true;
        if (this.flights.get(key) === created) this.flights.delete(key);
      };
      created.promise.then(done, done);
      this.flights.set(key, created);
      flight = created;
    }
    const f = flight;
    f.waiting += 1;
    return new Promise<T>((resolve, reject) => {
      let present = true;
      const leave = (): boolean => {
        if (!present) return false;
        present = false;
        f.waiting -= 1;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (!leave()) return;
        if (f.waiting === 0 && !f.settled) {
          if (this.flights.get(key) === f) this.flights.delete(key);
          f.controller.abort(signal!.reason);
        }
        reject(this.abortError(signal!.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (value) => {
          if (leave()) resolve(value);
        },
        (err: unknown) => {
          if (leave()) reject(err);
        },
      );
    });
  }

  get size(): number {
    return this.flights.size;
  }
}
