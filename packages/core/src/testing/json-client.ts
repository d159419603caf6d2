/**
 * A small JSON client for tests (docs/decisions.md D152): one fetch per call, the API key as a
 * Bearer token or the admin token in X-Admin-Token, a body sent as JSON, and the answer read
 * whole — status, headers, the text and, when it is JSON, the parsed body.
 */

export interface TestRequestOptions {
  /** An API key, sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** Sent as JSON, with `Content-Type: application/json` unless `headers` names another. */
  body?: unknown;
  /** Sent as it is (for malformed bodies); `body` wins when both are given. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when the body is not JSON. Loosely typed on purpose: tests assert on it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads any field of the JSON it got
  body: any;
  text: string;
}

/** Sends one request to `baseUrl + path` and reads the whole answer. */
export async function requestJson(baseUrl: string, method: string, path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
