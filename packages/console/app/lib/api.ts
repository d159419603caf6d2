/**
 * Calls to this server, as the console's session: the cookie goes with every request (it is
 * HttpOnly: script never sees it); state-changing calls add the session's CSRF token. Errors come
 * back as ApiError with the API's code and message.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a call finds the session has ended (401), so the console can show the sign-in page. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not treat a 401 as the end of the session (signing in). */
  quiet401?: boolean;
}

export async function api<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Is `jiema serve` still running?');
  }
  let payload: { ok?: boolean; data?: unknown; code?: string; message?: string } = {};
  try {
    payload = (await res.json()) as typeof payload;
  } catch {
    // a body that is not JSON: described below by its status
  }
  if (!res.ok || payload.ok === false) {
    const err = new ApiError(res.status, payload.code ?? 'HTTP_ERROR', payload.message ?? `The server answered ${res.status}.`);
    if (res.status === 401 && !options.quiet401) onSignedOut?.();
    throw err;
  }
  return payload.data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, { body: body ?? {} });
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, { body });
export const del = <T>(path: string) => api<T>('DELETE', path);
