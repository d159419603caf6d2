/**
 * The base of every error the SDK throws: the server's `code` (or the SDK's own, such as
 * TIMEOUT), the HTTP status when there was a response, the request id to quote to support,
 * and the response headers. It never holds the request, so the API key cannot leak through it.
 */
export interface JiemaErrorInit {
  code: string;
  message: string;
  status?: number | undefined;
  requestId?: string | undefined;
  headers?: Headers | Readonly<Record<string, string>> | undefined;
  cause?: unknown;
}

export class JiemaError extends Error {
  /** The server's error code (`INSUFFICIENT`, `RATE_LIMITED`, …) or the SDK's (`TIMEOUT`, `CONNECTION_ERROR`, …). */
  readonly code: string;
  /** The HTTP status, or undefined when no response arrived. */
  readonly status: number | undefined;
  /** The server's X-Request-Id, or the one the SDK sent when no response arrived. */
  readonly requestId: string | undefined;
  /** The response headers (lowercase names); empty when no response arrived. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(init: JiemaErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.headers = headersToRecord(init.headers);
  }
}

export function headersToRecord(headers: Headers | Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [k, v] of entries) out[k.toLowerCase()] = v;
  return out;
}
