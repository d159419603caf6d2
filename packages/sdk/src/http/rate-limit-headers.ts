/**
 * Reads what the server says about its limits: `Retry-After` (seconds or an HTTP date), and the
 * IETF `RateLimit-Policy: "poll";q=300;w=60` / `RateLimit: "poll";r=297;t=12` fields (D16).
 */
export interface RateLimitPolicy {
  quota: number;
  windowMs: number;
}

export interface RateLimitState {
  remaining: number;
  resetMs: number;
}

/** Retry-After in ms, or undefined when absent or unreadable. `nowMs` is for the HTTP-date form. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The parameters of the first item of a structured-field list: `"name";a=1;b=2`. */
function params(value: string | null): Map<string, number> | undefined {
  if (value === null) return undefined;
  const first = value.split(',')[0]!;
  const out = new Map<string, number>();
  for (const part of first.split(';').slice(1)) {
    const [k, v] = part.split('=');
    const n = Number(v?.trim());
    if (k && Number.isFinite(n)) out.set(k.trim(), n);
  }
  return out;
}

export function parseRateLimitPolicy(value: string | null): RateLimitPolicy | undefined {
  const p = params(value);
  const q = p?.get('q');
  const w = p?.get('w');
  if (q === undefined || w === undefined || q < 1 || w <= 0) return undefined;
  return { quota: q, windowMs: w * 1000 };
}

export function parseRateLimit(value: string | null): RateLimitState | undefined {
  const p = params(value);
  const r = p?.get('r');
  if (r === undefined) return undefined;
  return { remaining: r, resetMs: (p?.get('t') ?? 0) * 1000 };
}
