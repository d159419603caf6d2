/**
 * Errors the SDK raises itself, when no usable answer came back: the connection failed, an
 * attempt timed out, the caller aborted, the answer was not the JSON envelope, or a write may
 * or may not have happened.
 */
import { JiemaError, type JiemaErrorInit } from './jiema-error.js';

type ClientErrorInit = Omit<JiemaErrorInit, 'code'>;

/** The request could not be completed over the network (refused, reset, DNS, TLS). */
export class JiemaConnectionError extends JiemaError {
  /** False only when the request certainly never reached the server (e.g. connection refused). */
  readonly mayHaveReachedServer: boolean;
  constructor(init: ClientErrorInit & { mayHaveReachedServer: boolean }) {
    super({ ...init, code: 'CONNECTION_ERROR' });
    this.mayHaveReachedServer = init.mayHaveReachedServer;
  }
}

/** An attempt took longer than `timeoutMs`, or the call longer than `totalTimeoutMs`. */
export class JiemaTimeoutError extends JiemaError {
  readonly timeoutMs: number;
  constructor(init: ClientErrorInit & { timeoutMs: number }) {
    super({ ...init, code: 'TIMEOUT' });
    this.timeoutMs = init.timeoutMs;
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class JiemaAbortError extends JiemaError {
  constructor(init: ClientErrorInit) {
    super({ ...init, code: 'ABORTED' });
  }
}

/** The server answered something that is not the jiema JSON envelope (HTML from a proxy, a cut body). */
export class JiemaInvalidResponseError extends JiemaError {
  constructor(init: ClientErrorInit) {
    super({ ...init, code: 'INVALID_RESPONSE' });
  }
}

/**
 * A write (buy, cancel, next-sms) was sent, but no definite answer came back and retrying it
 * was not safe or not possible. The message says how to find out what happened.
 */
export class JiemaOutcomeUnknownError extends JiemaError {
  /** The Idempotency-Key the write carried: retry with it to get the first outcome replayed. */
  readonly idempotencyKey: string | undefined;
  readonly method: string;
  readonly path: string;
  constructor(init: ClientErrorInit & { idempotencyKey: string | undefined; method: string; path: string }) {
    super({ ...init, code: 'OUTCOME_UNKNOWN' });
    this.idempotencyKey = init.idempotencyKey;
    this.method = init.method;
    this.path = init.path;
  }
}
