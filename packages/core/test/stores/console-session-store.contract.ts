/**
 * The ConsoleSessionStore contract (docs/decisions.md D111, D125): one-time login tokens and
 * console sessions, each under the digest of its secret. Writes run inside the storage's
 * transactions, as ConsoleSessions calls them.
 */
import { describe, expect, it } from 'vitest';
import type { ConsoleSessionRecord } from '../../src/console/session-store.js';
import { useStores, type StoreHarness } from './harness.js';

/** Milliseconds well above 2^31, so a 32-bit column would lose them. */
const T0 = 1_764_612_345_678;

const record = (id: string, over: Partial<ConsoleSessionRecord> = {}): ConsoleSessionRecord => ({
  id,
  kind: 'user',
  userId: 'cl-user',
  keyId: 'key-user',
  grantMac: null,
  createdAt: T0,
  lastSeenAt: T0,
  expiresAt: T0 + 3_600_000,
  ...over,
});

const login = (id: string, expiresAt: number): ConsoleSessionRecord => record(id, { kind: 'login', userId: null, keyId: null, expiresAt });

const byId = (a: ConsoleSessionRecord, b: ConsoleSessionRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function consoleSessionStoreContract(h: StoreHarness): void {
  describe(`${h.name}: ConsoleSessionStore`, () => {
    const s = useStores(h);
    const write = <T>(fn: () => T): T => s.tx.write(fn);

    it('keeps a record of each kind with every field exact, nulls as null', () => {
      const records = [
        record('a'.repeat(64), { userId: 'cl-ü', keyId: 'key-1', createdAt: T0, lastSeenAt: T0 + 1, expiresAt: Number.MAX_SAFE_INTEGER }),
        record('b'.repeat(64), { kind: 'operator', userId: null, keyId: null, grantMac: 'mac-✓' }),
        login('c'.repeat(64), T0 + 60_000),
      ];
      write(() => records.forEach((r) => s.consoleSessions.insert(r)));
      for (const r of records) expect(s.consoleSessions.get(r.id)).toEqual(r);
      expect([...s.consoleSessions.list()].sort(byId)).toEqual(records);
    });

    it('answers undefined, not an error, for an id it does not know', () => {
      expect(s.consoleSessions.get('nothing')).toBeUndefined();
      expect(s.consoleSessions.list()).toEqual([]);
    });

    it('refuses a second record under the same id', () => {
      write(() => s.consoleSessions.insert(record('x')));
      expect(() => write(() => s.consoleSessions.insert(record('x', { kind: 'operator' })))).toThrow();
      expect(s.consoleSessions.get('x')?.kind).toBe('user');
    });

    it('deletes what has expired at `now` (expiry at `now` included), saying how many', () => {
      write(() => {
        s.consoleSessions.insert(record('past', { expiresAt: T0 - 1 }));
        s.consoleSessions.insert(record('now', { expiresAt: T0 }));
        s.consoleSessions.insert(record('later', { expiresAt: T0 + 1 }));
        s.consoleSessions.insert(login('login-past', T0 - 1));
        s.consoleSessions.insert(login('login-later', T0 + 1));
      });
      expect(write(() => s.consoleSessions.deleteExpired(T0))).toBe(3);
      expect(
        s.consoleSessions
          .list()
          .map((r) => r.id)
          .sort(),
      ).toEqual(['later', 'login-later']);
      expect(write(() => s.consoleSessions.deleteExpired(T0))).toBe(0);
    });

    it('touches a session: last seen and expiry change, nothing else', () => {
      const r = record('s', { grantMac: 'mac' });
      write(() => s.consoleSessions.insert(r));
      write(() => s.consoleSessions.touch('s', T0 + 2 ** 32, T0 + 2 ** 33));
      expect(s.consoleSessions.get('s')).toEqual({ ...r, lastSeenAt: T0 + 2 ** 32, expiresAt: T0 + 2 ** 33 });
      expect(() => write(() => s.consoleSessions.touch('nothing', T0, T0))).not.toThrow();
    });

    it('gives a login token once: the second take reports false', () => {
      write(() => s.consoleSessions.insert(login('tok', T0 + 1000)));
      expect(write(() => s.consoleSessions.takeLogin('tok', T0))).toBe(true);
      expect(s.consoleSessions.get('tok')).toBeUndefined();
      expect(write(() => s.consoleSessions.takeLogin('tok', T0))).toBe(false);
    });

    it('refuses a login token expired at `now` (expiry at `now` included)', () => {
      write(() => {
        s.consoleSessions.insert(login('at-now', T0));
        s.consoleSessions.insert(login('just-valid', T0 + 1));
      });
      expect(write(() => s.consoleSessions.takeLogin('at-now', T0))).toBe(false);
      expect(write(() => s.consoleSessions.takeLogin('just-valid', T0))).toBe(true);
    });

    it('takes only login tokens: a session’s id reports false and the session stays', () => {
      write(() => s.consoleSessions.insert(record('sess')));
      expect(write(() => s.consoleSessions.takeLogin('sess', T0))).toBe(false);
      expect(s.consoleSessions.get('sess')).toBeDefined();
      expect(write(() => s.consoleSessions.takeLogin('nothing', T0))).toBe(false);
    });

    it('drops every login token and no session', () => {
      write(() => {
        s.consoleSessions.insert(login('l1', T0 + 1000));
        s.consoleSessions.insert(login('l2', T0 - 1000));
        s.consoleSessions.insert(record('u'));
        s.consoleSessions.insert(record('o', { kind: 'operator', userId: null, keyId: null, grantMac: 'mac' }));
      });
      write(() => s.consoleSessions.dropLogins());
      expect(
        s.consoleSessions
          .list()
          .map((r) => r.id)
          .sort(),
      ).toEqual(['o', 'u']);
    });

    it('sets and clears the user a session views, leaving the rest', () => {
      const r = record('o', { kind: 'operator', userId: null, keyId: null, grantMac: 'mac' });
      write(() => s.consoleSessions.insert(r));
      write(() => s.consoleSessions.setUser('o', 'cl-viewed'));
      expect(s.consoleSessions.get('o')).toEqual({ ...r, userId: 'cl-viewed' });
      write(() => s.consoleSessions.setUser('o', null));
      expect(s.consoleSessions.get('o')).toEqual(r);
    });

    it('deletes one record, and a missing one without an error', () => {
      write(() => {
        s.consoleSessions.insert(record('a'));
        s.consoleSessions.insert(record('b'));
      });
      write(() => s.consoleSessions.delete('a'));
      expect(s.consoleSessions.get('a')).toBeUndefined();
      expect(s.consoleSessions.get('b')).toBeDefined();
      expect(() => write(() => s.consoleSessions.delete('a'))).not.toThrow();
    });
  });
}
