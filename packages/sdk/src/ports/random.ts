/**
 * The Random port: uniform numbers in [0, 1) for backoff jitter, and the ids the SDK makes up
 * (idempotency keys, request ids). Tests pass a fixed `random` so delays are deterministic.
 */
export type Random = () => number;

export const mathRandom: Random = () => Math.random();

/** A random UUID for Idempotency-Key and X-Request-Id; from Web Crypto, available in Node ≥ 19. */
export function randomId(): string {
  return globalThis.crypto.randomUUID();
}
