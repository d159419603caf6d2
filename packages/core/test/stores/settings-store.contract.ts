/**
 * The SettingsStore contract (docs/decisions.md D125): small durable key/value settings.
 */
import { describe, expect, it } from 'vitest';
import { useStores, type StoreHarness } from './harness.js';

export function settingsStoreContract(h: StoreHarness): void {
  describe(`${h.name}: SettingsStore`, () => {
    const s = useStores(h);

    it('answers undefined, not an error, for a key never set', () => {
      expect(s.settings.get('admin_token_sha256')).toBeUndefined();
    });

    it('keeps a value exactly, unicode, whitespace and length included', () => {
      const long = 'x'.repeat(100_000);
      s.settings.set('a', ' spaced\tand\nnewlined ');
      s.settings.set('b', '名前 🚀 Zoë');
      s.settings.set('c', long);
      s.settings.set('d', '{"json":[1,2,3]}');
      expect(s.settings.get('a')).toBe(' spaced\tand\nnewlined ');
      expect(s.settings.get('b')).toBe('名前 🚀 Zoë');
      expect(s.settings.get('c')).toBe(long);
      expect(s.settings.get('d')).toBe('{"json":[1,2,3]}');
    });

    it('keeps an empty value as an empty string, not as a missing one', () => {
      s.settings.set('empty', '');
      expect(s.settings.get('empty')).toBe('');
    });

    it('replaces a value set again, keeping one value per key', () => {
      s.settings.set('demo_user', 'cl1');
      s.settings.set('demo_user', 'cl2');
      expect(s.settings.get('demo_user')).toBe('cl2');
      s.settings.delete('demo_user');
      expect(s.settings.get('demo_user')).toBeUndefined();
    });

    it('tells keys apart exactly (case and unicode)', () => {
      s.settings.set('Key', 'upper');
      s.settings.set('key', 'lower');
      s.settings.set('ключ', 'cyrillic');
      expect(s.settings.get('Key')).toBe('upper');
      expect(s.settings.get('key')).toBe('lower');
      expect(s.settings.get('KEY')).toBeUndefined();
      expect(s.settings.get('ключ')).toBe('cyrillic');
    });

    it('deletes one key, leaves the others, and deletes a missing key without an error', () => {
      s.settings.set('a', '1');
      s.settings.set('b', '2');
      s.settings.delete('a');
      expect(s.settings.get('a')).toBeUndefined();
      expect(s.settings.get('b')).toBe('2');
      expect(() => s.settings.delete('never-set')).not.toThrow();
    });

    it('joins a caller’s transaction: a rolled-back set leaves no value', () => {
      s.settings.set('kept', 'before');
      expect(() =>
        s.tx.write(() => {
          s.settings.set('kept', 'after');
          s.settings.set('new', 'value');
          throw new Error('abort');
        }),
      ).toThrow('abort');
      expect(s.settings.get('kept')).toBe('before');
      expect(s.settings.get('new')).toBeUndefined();
    });
  });
}
