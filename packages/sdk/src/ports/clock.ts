/**
 * The Clock port: the SDK's only source of "now" and of timers. Backoff, pacing windows,
 * per-attempt timeouts and waitForSms deadlines all go through it, so tests can pass a clock
 * they control (a fast or virtual one) and nothing else in the SDK reads the time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. Used for durations and for HTTP-date `Retry-After`. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects with `signal.reason` as soon as `signal` aborts
   * (also when it is already aborted), and then holds no timer.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
