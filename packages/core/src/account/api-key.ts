/**
 * API keys (docs/decisions.md D1): `jm_` + 43 base62 characters, the last 6 of which are a base62
 * CRC32 of the first 37. A mistyped key fails the checksum before any database lookup, and a
 * secret scanner can verify a match offline. Only the SHA-256 of a key is ever stored.
 */
import { createHash } from 'node:crypto';
import type { Rng } from '../ports/rng.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PREFIX = 'jm_';
const BODY_LENGTH = 37;
const CHECK_LENGTH = 6;
const KEY_PATTERN = /^jm_[0-9A-Za-z]{43}$/;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function toBase62(value: number, width: number): string {
  let out = '';
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

function checksum(body: string): string {
  return toBase62(crc32(body), CHECK_LENGTH);
}

export function generateApiKey(rng: Rng): string {
  let body = '';
  while (body.length < BODY_LENGTH) {
    for (const b of rng.bytes(BODY_LENGTH)) {
      // 248 = 4 × 62: rejecting bytes above it keeps every character equally likely.
      if (b < 248 && body.length < BODY_LENGTH) body += BASE62[b % 62];
    }
  }
  return KEY_PREFIX + body + checksum(body);
}

/** True when the text has the key's shape and its checksum matches. No database involved. */
export function isWellFormedApiKey(text: string): boolean {
  if (!KEY_PATTERN.test(text)) return false;
  const rest = text.slice(KEY_PREFIX.length);
  return checksum(rest.slice(0, BODY_LENGTH)) === rest.slice(BODY_LENGTH);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The last four characters, shown to the owner to tell keys apart. */
export function keyHint(key: string): string {
  return key.slice(-4);
}

/** A key as it may appear in logs and errors. */
export function maskApiKey(key: string): string {
  return key.length > 8 ? `${key.slice(0, 3)}…${key.slice(-4)}` : '…';
}
