/**
 * The AccountStore contract (docs/decisions.md D125): users and their API keys, as every
 * implementation must keep them. Writes run inside the storage's transactions, as the account
 * service calls them; reads run outside.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { NewApiKey, NewUser } from '../../src/account/account-store.js';
import { useStores, type StoreHarness } from './harness.js';

/** Milliseconds well above 2^31 (a real clock's), so a 32-bit column would lose them. */
const T0 = 1_764_612_345_678;

/** An id of the shape the engine makes (prefix, base-36 time, sequence): ids sort by time. */
const id = (prefix: string, ms: number, seq = 0) =>
  `${prefix}${ms.toString(36).padStart(9, '0')}${seq.toString(36).padStart(4, '0')}r4nd0mta1l00`;

const user = (n: number, over: Partial<NewUser> = {}): NewUser => ({
  id: id('cl', T0 + n),
  displayName: `User ${n}`,
  lang: 'en',
  referralCode: `REF${n}`,
  createdAt: T0 + n,
  externalRef: null,
  ...over,
});

const key = (userId: string, n: number, over: Partial<NewApiKey> = {}): NewApiKey => ({
  id: id('key', T0 + n),
  userId,
  hash: `hash-${n}`.padEnd(64, '0'),
  hint: `jm_…${n}`,
  name: `key ${n}`,
  createdAt: T0 + n,
  ...over,
});

export function accountStoreContract(h: StoreHarness): void {
  describe(`${h.name}: AccountStore`, () => {
    const s = useStores(h);
    const write = <T>(fn: () => T): T => s.tx.write(fn);

    describe('users', () => {
      it('stores a new user with a zero balance, no ban, and every field as given', () => {
        const u = user(1, { displayName: 'Zoë 张伟 🚀', lang: 'zh', referralCode: 'ABCD2345' });
        write(() => s.accounts.insertUser(u));
        expect(s.accounts.getUser(u.id)).toEqual({
          id: u.id,
          displayName: 'Zoë 张伟 🚀',
          lang: 'zh',
          referralCode: 'ABCD2345',
          balanceCents: 0,
          bannedAt: null,
          banReason: null,
          createdAt: T0 + 1,
        });
      });

      it('round-trips the largest safe millisecond time exactly', () => {
        const u = user(1, { createdAt: Number.MAX_SAFE_INTEGER });
        write(() => s.accounts.insertUser(u));
        expect(s.accounts.getUser(u.id)?.createdAt).toBe(Number.MAX_SAFE_INTEGER);
      });

      it('reads a balance above 2^31 cents exactly, as a number', () => {
        const u = user(1);
        write(() => s.accounts.insertUser(u));
        const amount = 2 ** 31 + 2 ** 32 + 7;
        write(() =>
          s.ledger.append({
            id: id('led', T0 + 2),
            userId: u.id,
            kind: 'topup',
            amountCents: amount,
            orderId: null,
            reason: null,
            createdAt: T0 + 2,
          }),
        );
        expect(s.accounts.getUser(u.id)?.balanceCents).toBe(amount);
        expect(s.accounts.listUsers(10, undefined)[0]?.balanceCents).toBe(amount);
      });

      it('answers undefined, not an error, for a user it does not know', () => {
        expect(s.accounts.getUser('cl-nobody')).toBeUndefined();
        expect(s.accounts.findUserByExternalRef('nobody')).toBeUndefined();
      });

      it('joins the caller’s transaction: a rolled-back insert leaves no user', () => {
        const u = user(1);
        expect(() =>
          write(() => {
            s.accounts.insertUser(u);
            throw new Error('abort');
          }),
        ).toThrow('abort');
        expect(s.accounts.getUser(u.id)).toBeUndefined();
        expect(s.accounts.isReferralCodeTaken(u.referralCode)).toBe(false);
      });

      it('refuses a second user with the same id', () => {
        write(() => s.accounts.insertUser(user(1)));
        expect(() => write(() => s.accounts.insertUser(user(1, { referralCode: 'OTHER' })))).toThrow();
        expect(s.accounts.getUser(user(1).id)?.referralCode).toBe('REF1');
      });

      it('refuses a referral code another user has', () => {
        write(() => s.accounts.insertUser(user(1, { referralCode: 'SAME' })));
        expect(() => write(() => s.accounts.insertUser(user(2, { referralCode: 'SAME' })))).toThrow();
        expect(s.accounts.getUser(user(2).id)).toBeUndefined();
      });

      it('tells whether a referral code is taken', () => {
        write(() => s.accounts.insertUser(user(1, { referralCode: 'K7P2QX' })));
        expect(s.accounts.isReferralCodeTaken('K7P2QX')).toBe(true);
        expect(s.accounts.isReferralCodeTaken('K7P2QY')).toBe(false);
        expect(s.accounts.isReferralCodeTaken('')).toBe(false);
      });

      it('finds a user by its external ref, matched exactly', () => {
        const u = user(1, { externalRef: 'seed:Alice' });
        write(() => s.accounts.insertUser(u));
        write(() => s.accounts.insertUser(user(2)));
        expect(s.accounts.findUserByExternalRef('seed:Alice')?.id).toBe(u.id);
        expect(s.accounts.findUserByExternalRef('seed:alice')).toBeUndefined();
        expect(s.accounts.findUserByExternalRef('seed:Alice ')).toBeUndefined();
      });

      it('keeps external refs unique, while any number of users have none', () => {
        write(() => s.accounts.insertUser(user(1, { externalRef: 'ref-1' })));
        expect(() => write(() => s.accounts.insertUser(user(2, { externalRef: 'ref-1' })))).toThrow();
        write(() => s.accounts.insertUser(user(3)));
        write(() => s.accounts.insertUser(user(4)));
        expect(s.accounts.getUser(user(3).id)).toBeDefined();
        expect(s.accounts.getUser(user(4).id)).toBeDefined();
        expect(s.accounts.getUser(user(2).id)).toBeUndefined();
      });

      it('lists users newest (highest id) first, whatever order they were stored in', () => {
        // The ids, not the recorded times, give the order (paging goes by id): the times here run backwards.
        for (const n of [3, 1, 5, 2, 4]) write(() => s.accounts.insertUser(user(n, { createdAt: T0 - n })));
        expect(s.accounts.listUsers(10, undefined).map((u) => u.displayName)).toEqual(['User 5', 'User 4', 'User 3', 'User 2', 'User 1']);
        expect(s.accounts.listUsers(2, undefined).map((u) => u.displayName)).toEqual(['User 5', 'User 4']);
      });

      it('pages with `before`, exclusive, so the pages cover every user once', () => {
        for (let n = 1; n <= 5; n++) write(() => s.accounts.insertUser(user(n)));
        const seen: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = s.accounts.listUsers(2, before);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(2);
          seen.push(...page.map((u) => u.id));
          before = page.at(-1)!.id;
        }
        expect(seen).toEqual([5, 4, 3, 2, 1].map((n) => user(n).id));
        expect(s.accounts.listUsers(10, user(3).id).map((u) => u.id)).toEqual([user(2).id, user(1).id]);
        expect(s.accounts.listUsers(10, user(1).id)).toEqual([]);
        // A cursor that is no user's id still pages by position.
        expect(s.accounts.listUsers(10, `${user(4).id}z`).map((u) => u.id)).toEqual([4, 3, 2, 1].map((n) => user(n).id));
      });

      it('lists nothing on an empty store, and nothing for a limit of 0', () => {
        expect(s.accounts.listUsers(10, undefined)).toEqual([]);
        write(() => s.accounts.insertUser(user(1)));
        expect(s.accounts.listUsers(0, undefined)).toEqual([]);
      });

      it('updates a profile, leaving the rest of the user as it was', () => {
        const u = user(1);
        write(() => s.accounts.insertUser(u));
        const before = s.accounts.getUser(u.id)!;
        expect(write(() => s.accounts.updateProfile(u.id, 'Ånna – 😀', 'ru'))).toBe(true);
        expect(s.accounts.getUser(u.id)).toEqual({ ...before, displayName: 'Ånna – 😀', lang: 'ru' });
        // The same values again still name an existing user.
        expect(write(() => s.accounts.updateProfile(u.id, 'Ånna – 😀', 'ru'))).toBe(true);
      });

      it('reports false when updating the profile of a user it does not know', () => {
        write(() => s.accounts.insertUser(user(1)));
        expect(write(() => s.accounts.updateProfile('cl-nobody', 'X', 'en'))).toBe(false);
        expect(s.accounts.getUser(user(1).id)?.displayName).toBe('User 1');
      });

      it('bans with a time and a reason, and unbans back to nulls', () => {
        const u = user(1);
        write(() => s.accounts.insertUser(u));
        write(() => s.accounts.insertUser(user(2)));
        expect(write(() => s.accounts.setBanned(u.id, T0 + 99, 'спам ⚠'))).toBe(true);
        expect(s.accounts.getUser(u.id)).toMatchObject({ bannedAt: T0 + 99, banReason: 'спам ⚠' });
        expect(s.accounts.getUser(user(2).id)).toMatchObject({ bannedAt: null, banReason: null });
        // A ban over a ban applies too (the user exists).
        expect(write(() => s.accounts.setBanned(u.id, T0 + 100, null))).toBe(true);
        expect(s.accounts.getUser(u.id)).toMatchObject({ bannedAt: T0 + 100, banReason: null });
        expect(write(() => s.accounts.setBanned(u.id, null, null))).toBe(true);
        expect(s.accounts.getUser(u.id)).toMatchObject({ bannedAt: null, banReason: null });
      });

      it('reports false when banning or unbanning a user it does not know', () => {
        expect(write(() => s.accounts.setBanned('cl-nobody', T0, 'x'))).toBe(false);
        expect(write(() => s.accounts.setBanned('cl-nobody', null, null))).toBe(false);
      });
    });

    describe('keys', () => {
      const alice = user(1);
      const bob = user(2);
      beforeEach(() => {
        write(() => {
          s.accounts.insertUser(alice);
          s.accounts.insertUser(bob);
        });
      });

      it('finds a key by its hash with every field as given, and never shows the hash', () => {
        const k = key(alice.id, 10, { name: 'ci – 测试 🔑' });
        write(() => s.accounts.insertKey(k));
        const found = s.accounts.findKeyByHash(k.hash);
        expect(found).toEqual({
          id: k.id,
          userId: alice.id,
          name: 'ci – 测试 🔑',
          hint: k.hint,
          createdAt: T0 + 10,
          lastUsedAt: null,
          revokedAt: null,
        });
        expect(found).not.toHaveProperty('hash');
      });

      it('keeps a key without a name as null', () => {
        const k = key(alice.id, 10, { name: null });
        write(() => s.accounts.insertKey(k));
        expect(s.accounts.findKeyByHash(k.hash)?.name).toBeNull();
        expect(s.accounts.getKey(alice.id, k.id)?.name).toBeNull();
      });

      it('answers undefined for a hash no key has', () => {
        write(() => s.accounts.insertKey(key(alice.id, 10)));
        expect(s.accounts.findKeyByHash('0'.repeat(64))).toBeUndefined();
        expect(s.accounts.findKeyByHash(key(alice.id, 10).hash.toUpperCase())).toBeUndefined();
      });

      it('refuses a second key with the same hash, or the same id', () => {
        write(() => s.accounts.insertKey(key(alice.id, 10)));
        expect(() => write(() => s.accounts.insertKey(key(bob.id, 11, { hash: key(alice.id, 10).hash })))).toThrow();
        expect(() => write(() => s.accounts.insertKey(key(bob.id, 10, { hash: 'f'.repeat(64) })))).toThrow();
        expect(s.accounts.listKeys(bob.id)).toEqual([]);
      });

      it('refuses a key for a user it does not know', () => {
        expect(() => write(() => s.accounts.insertKey(key('cl-nobody', 10)))).toThrow();
        expect(s.accounts.findKeyByHash(key('cl-nobody', 10).hash)).toBeUndefined();
      });

      it('gets a key only through the user that owns it', () => {
        const k = key(alice.id, 10);
        write(() => s.accounts.insertKey(k));
        expect(s.accounts.getKey(alice.id, k.id)).toEqual(s.accounts.findKeyByHash(k.hash));
        expect(s.accounts.getKey(bob.id, k.id)).toBeUndefined();
        expect(s.accounts.getKey(alice.id, 'key-nothing')).toBeUndefined();
      });

      it('lists a user’s keys oldest first, revoked ones included, and no one else’s', () => {
        for (const n of [12, 10, 11]) write(() => s.accounts.insertKey(key(alice.id, n)));
        write(() => s.accounts.insertKey(key(bob.id, 13)));
        write(() => s.accounts.revokeKey(key(alice.id, 11).id, T0 + 50));
        expect(s.accounts.listKeys(alice.id).map((k) => [k.id, k.revokedAt])).toEqual([
          [key(alice.id, 10).id, null],
          [key(alice.id, 11).id, T0 + 50],
          [key(alice.id, 12).id, null],
        ]);
        expect(s.accounts.listKeys(bob.id).map((k) => k.id)).toEqual([key(bob.id, 13).id]);
        expect(s.accounts.listKeys('cl-nobody')).toEqual([]);
      });

      it('counts a user’s keys not revoked', () => {
        expect(s.accounts.countActiveKeys(alice.id)).toBe(0);
        for (const n of [10, 11, 12]) write(() => s.accounts.insertKey(key(alice.id, n)));
        write(() => s.accounts.insertKey(key(bob.id, 13)));
        expect(s.accounts.countActiveKeys(alice.id)).toBe(3);
        write(() => s.accounts.revokeKey(key(alice.id, 10).id, T0 + 50));
        expect(s.accounts.countActiveKeys(alice.id)).toBe(2);
        expect(s.accounts.countActiveKeys(bob.id)).toBe(1);
        expect(s.accounts.countActiveKeys('cl-nobody')).toBe(0);
      });

      it('revokes a key once: the second revoke reports false and keeps the first time', () => {
        const k = key(alice.id, 10);
        write(() => s.accounts.insertKey(k));
        expect(write(() => s.accounts.revokeKey(k.id, T0 + 50))).toBe(true);
        expect(write(() => s.accounts.revokeKey(k.id, T0 + 60))).toBe(false);
        expect(s.accounts.getKey(alice.id, k.id)?.revokedAt).toBe(T0 + 50);
        // A revoked key is still found by its hash (authentication tells it apart itself).
        expect(s.accounts.findKeyByHash(k.hash)?.revokedAt).toBe(T0 + 50);
      });

      it('reports false when revoking a key it does not know', () => {
        expect(write(() => s.accounts.revokeKey('key-nothing', T0))).toBe(false);
      });

      it('revokes only the key named', () => {
        write(() => {
          s.accounts.insertKey(key(alice.id, 10));
          s.accounts.insertKey(key(alice.id, 11));
        });
        write(() => s.accounts.revokeKey(key(alice.id, 10).id, T0 + 50));
        expect(s.accounts.getKey(alice.id, key(alice.id, 11).id)?.revokedAt).toBeNull();
      });

      it('records a key’s last use, each touch replacing the last, times exact', () => {
        const k = key(alice.id, 10);
        write(() => s.accounts.insertKey(k));
        write(() => s.accounts.touchKey(k.id, T0 + 60_000));
        expect(s.accounts.getKey(alice.id, k.id)?.lastUsedAt).toBe(T0 + 60_000);
        write(() => s.accounts.touchKey(k.id, Number.MAX_SAFE_INTEGER));
        expect(s.accounts.findKeyByHash(k.hash)).toMatchObject({
          lastUsedAt: Number.MAX_SAFE_INTEGER,
          createdAt: T0 + 10,
          revokedAt: null,
        });
      });

      it('touches an unknown key without an error', () => {
        expect(() => write(() => s.accounts.touchKey('key-nothing', T0))).not.toThrow();
      });

      it('deletes a user’s keys outright, saying how many, and leaves other users’ keys', () => {
        for (const n of [10, 11]) write(() => s.accounts.insertKey(key(alice.id, n)));
        write(() => s.accounts.revokeKey(key(alice.id, 11).id, T0 + 50));
        write(() => s.accounts.insertKey(key(bob.id, 12)));
        expect(write(() => s.accounts.deleteKeys(alice.id))).toBe(2);
        expect(s.accounts.listKeys(alice.id)).toEqual([]);
        expect(s.accounts.findKeyByHash(key(alice.id, 10).hash)).toBeUndefined();
        expect(s.accounts.countActiveKeys(alice.id)).toBe(0);
        expect(s.accounts.listKeys(bob.id)).toHaveLength(1);
        expect(write(() => s.accounts.deleteKeys(alice.id))).toBe(0);
        expect(write(() => s.accounts.deleteKeys('cl-nobody'))).toBe(0);
        // The hash is free again.
        write(() => s.accounts.insertKey(key(alice.id, 14, { hash: key(alice.id, 10).hash })));
        expect(s.accounts.findKeyByHash(key(alice.id, 10).hash)?.id).toBe(key(alice.id, 14).id);
      });
    });
  });
}
