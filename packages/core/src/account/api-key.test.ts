import { describe, expect, it } from 'vitest';
import { createSeededRng } from '../ports/rng.js';
import { crc32, generateApiKey, hashApiKey, isWellFormedApiKey, keyHint, maskApiKey } from './api-key.js';

describe('API keys', () => {
  const rng = createSeededRng(7);
  it('are jm_ plus 43 base62 characters with a valid checksum', () => {
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey(rng);
      expect(key).toMatch(/^jm_[0-9A-Za-z]{43}$/);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
  });

  it('fail the checksum when any one character is mistyped', () => {
    const key = generateApiKey(rng);
    for (let i = 3; i < key.length; i++) {
      const c = key[i] === 'a' ? 'b' : 'a';
      expect(isWellFormedApiKey(key.slice(0, i) + c + key.slice(i + 1))).toBe(false);
    }
  });

  it('reject other shapes', () => {
    for (const bad of ['', 'jm_', 'jm_short', `xx_${'a'.repeat(43)}`, `jm_${'a'.repeat(44)}`, `jm_${'-'.repeat(43)}`]) {
      expect(isWellFormedApiKey(bad)).toBe(false);
    }
  });

  it('computes the standard CRC32', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('are stored as a SHA-256 hex digest, shown by a 4-character hint, masked in text', () => {
    const key = generateApiKey(rng);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyHint(key)).toBe(key.slice(-4));
    expect(maskApiKey(key)).not.toContain(key.slice(3, -4));
  });
});

describe('key secrets', () => {
  it('come from the CSPRNG even when the engine runs on a seeded generator', async () => {
    const { makeEngine } = await import('../../test/helpers.js');
    const a = makeEngine({ seed: 1 }).engine;
    const b = makeEngine({ seed: 1 }).engine;
    const ua = a.accounts.createUser();
    const ub = b.accounts.createUser();
    expect(ua.id).toBe(ub.id); // ids follow the seed, for reproducible runs
    expect(a.accounts.createKey(ua.id).apiKey).not.toBe(b.accounts.createKey(ub.id).apiKey);
  });
});
