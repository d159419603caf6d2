/**
 * The Rng port: every random choice the engine makes (ids, key secrets, retry jitter) goes
 * through it, so a seeded run is reproducible and production uses the system's CSPRNG.
 */
import { randomBytes } from 'node:crypto';

export interface Rng {
  /** Fills and returns `n` random bytes. Production implementations must be cryptographically secure. */
  bytes(n: number): Uint8Array;
  /** A float in [0, 1). */
  next(): number;
}

export const cryptoRng: Rng = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
  next: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
};

/** A deterministic generator (mulberry32); for tests and the simulator only, never for real keys. */
export function createSeededRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
  };
}
