/**
 * Ids (docs/decisions.md D2): a prefix, a fixed-width base-36 timestamp, a per-process sequence and
 * random tail. Lowercase, lexicographically time-ordered (cursor pagination relies on it)
 * and unguessable.
 */
import type { Clock } from './clock.js';
import type { Rng } from './rng.js';

export type IdPrefix = 'cl' | 'ck' | 'key' | 'led' | 'ob' | 'evt' | 'wh' | 'dlv';

export interface IdGenerator {
  next(prefix: IdPrefix): string;
  /**
   * Every id made from now on sorts after an id made at `ms` (what a database already holds),
   * whatever the clock says: docs/decisions.md D41.
   */
  continueAfter(ms: number): void;
}

/** The millisecond an id was made at, or undefined when the text is not one of ours. */
export function idTimestamp(id: string, prefix: IdPrefix): number | undefined {
  if (!id.startsWith(prefix)) return undefined;
  const stamp = id.slice(prefix.length, prefix.length + 9);
  if (!/^[0-9a-z]{9}$/.test(stamp)) return undefined;
  return parseInt(stamp, 36);
}

/** The digits of ids' base-36 parts. */
export const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function randomBase36(rng: Rng, length: number): string {
  const bytes = rng.bytes(length);
  let out = '';
  // 252 is the largest multiple of 36 below 256: rejecting above it keeps the digits uniform.
  for (let i = 0; out.length < length; i++) {
    const b = i < bytes.length ? bytes[i]! : rng.bytes(1)[0]!;
    if (b < 252) out += ID_ALPHABET[b % 36];
  }
  return out;
}

export function createIdGenerator(clock: Clock, rng: Rng): IdGenerator {
  let lastMs = 0;
  let seq = 0;
  return {
    next(prefix) {
      const now = Math.max(clock.now(), lastMs);
      if (now === lastMs) seq += 1;
      else {
        lastMs = now;
        seq = 0;
      }
      return prefix + now.toString(36).padStart(9, '0') + seq.toString(36).padStart(4, '0') + randomBase36(rng, 12);
    },
    continueAfter(ms) {
      if (ms + 1 > lastMs) {
        lastMs = ms + 1;
        seq = -1;
      }
    },
  };
}
