/**
 * The HTTP transport the protocol adapters share: undici over one keep-alive agent, a timeout
 * on every call, and the adapter's secrets masked out of everything it reports. It classifies
 * transport failures only; what a reply body means is each vendor's `parse.ts`.
 */
import { Agent, request } from 'undici';
import { UpstreamError } from './upstream-error.js';

export interface HttpReply {
  status: number;
  body: string;
}

export interface HttpCall {
  /** Appended to the base URL: a path and query string. */
  path: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export interface HttpClientOptions {
  baseUrl: string;
  /** Every occurrence of these is replaced by `***` in errors and raw texts. */
  secrets: string[];
  /** Replies larger than this are refused (a full 5sim price list is a few MB). Default 32 MiB. */
  maxBodyBytes?: number;
}

/** Errors that prove the request never reached the upstream: nothing can have happened there. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMED_OUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: Array<{ code?: unknown }> };
  const code = e?.code ?? e?.cause?.code ?? e?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly baseUrl: string;
  private readonly secrets: string[];

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.secrets = options.secrets.filter((s) => s.length > 0);
    this.agent = new Agent({ keepAliveTimeout: 4_000, connections: 32, maxResponseSize: options.maxBodyBytes ?? 32 * 1024 * 1024 });
  }

  /** Replaces the secrets, and anything that looks like a key parameter or a bearer token, with `***`. */
  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out.replace(/(api_key=)[^&\s"']+/gi, '$1***').replace(/(Bearer\s+)[^\s"']+/gi, '$1***');
  }

  /**
   * One GET. Resolves with any HTTP status and the body as text; rejects only with
   * UpstreamError: UNAVAILABLE when the request never left (connection refused, DNS), TIMEOUT
   * when it may have reached the upstream but no full answer came back in time.
   */
  async get(call: HttpCall): Promise<HttpReply> {
    const signal = AbortSignal.timeout(call.timeoutMs);
    try {
      const res = await request(this.baseUrl + call.path, {
        method: 'GET',
        dispatcher: this.agent,
        headers: call.headers ?? {},
        signal,
        headersTimeout: call.timeoutMs,
        bodyTimeout: call.timeoutMs,
      });
      const body = await res.body.text();
      return { status: res.statusCode, body };
    } catch (err) {
      throw this.transportError(err, call.timeoutMs);
    }
  }

  private transportError(err: unknown, timeoutMs: number): UpstreamError {
    const code = errorCode(err);
    const name = (err as { name?: string })?.name;
    const detail = this.mask(`${code ?? name ?? 'error'}: ${err instanceof Error ? err.message : String(err)}`);
    if (code && NOT_SENT.has(code)) return new UpstreamError('UNAVAILABLE', `could not reach the upstream (${detail})`, { raw: detail });
    if (name === 'TimeoutError' || name === 'AbortError' || (code && TIMED_OUT.has(code))) {
      return new UpstreamError('TIMEOUT', `no answer within ${timeoutMs} ms`, { raw: detail });
    }
    // The connection broke after the request went out: the upstream may have acted on it.
    return new UpstreamError('TIMEOUT', `the connection failed before a full answer (${detail})`, { raw: detail });
  }

  /** Drops every connection; calls still in flight reject. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}
