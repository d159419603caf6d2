/**
 * The life of one SDK call across its attempts and backoff sleeps: one signal that fires when
 * the caller aborts or the call's total deadline passes, so every wait (pacing, attempt,
 * backoff) stops at once, and the error that says which of the two it was.
 */
import { JiemaAbortError, JiemaTimeoutError } from '../errors/client-errors.js';
import type { JiemaError } from '../errors/jiema-error.js';
import type { Clock } from '../ports/clock.js';
import { allowSharedSignal } from './shared-signal.js';

export class CallScope {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer = new AbortController();
  private readonly deadlineAt: number | undefined;
  private expired = false;
  private readonly onCallerAbort = (): void => this.controller.abort(this.caller!.reason);

  constructor(
    private readonly clock: Clock,
    private readonly caller: AbortSignal | undefined,
    private readonly totalTimeoutMs: number | undefined,
  ) {
    this.signal = this.controller.signal;
    if (caller?.aborted) this.controller.abort(caller.reason);
    else if (caller) {
      allowSharedSignal(caller);
      caller.addEventListener('abort', this.onCallerAbort, { once: true });
    }
    if (totalTimeoutMs !== undefined) {
      this.deadlineAt = clock.now() + totalTimeoutMs;
      clock.sleep(totalTimeoutMs, this.timer.signal).then(
        () => {
          this.expired = true;
          this.controller.abort(new Error(`call timed out after ${totalTimeoutMs} ms`));
        },
        () => undefined,
      );
    }
  }

  /** True once the total deadline has passed (and the caller had not aborted first). */
  get timedOut(): boolean {
    return this.expired && !this.caller?.aborted;
  }

  /** Milliseconds left before the total deadline; Infinity without one. */
  remainingMs(): number {
    return this.deadlineAt === undefined ? Infinity : this.deadlineAt - this.clock.now();
  }

  /** The error for a call stopped by this scope's signal. */
  stopError(what: string, requestId?: string): JiemaError {
    if (this.timedOut) {
      return new JiemaTimeoutError({
        message: `${what} did not complete within totalTimeoutMs (${this.totalTimeoutMs} ms).`,
        timeoutMs: this.totalTimeoutMs!,
        requestId,
      });
    }
    return new JiemaAbortError({ message: `${what} was aborted by the caller.`, requestId, cause: this.caller?.reason });
  }

  dispose(): void {
    this.timer.abort();
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}
