/**
 * The MaintenanceStore contract (docs/decisions.md D41, D43, D125): the simulator's reset, which
 * empties the data and keeps the settings asked for, and the newest instant the data records.
 */
import { describe, expect, it } from 'vitest';
import { useStores, type StoreHarness } from './harness.js';

const T0 = 1_764_612_345_678;
/** An id of the shape the engine makes: the prefix, then the base-36 millisecond it was made at. */
const id = (prefix: string, ms: number) => `${prefix}${ms.toString(36).padStart(9, '0')}0000r4nd0mta1l00`;

export function maintenanceStoreContract(h: StoreHarness): void {
  describe(`${h.name}: MaintenanceStore`, () => {
    const s = useStores(h);

    const userId = id('cl', T0 + 1);
    const keyId = id('key', T0 + 2);

    const orderId = id('ck', T0 + 5);

    /**
     * A user with a key, a ledger entry, an owed command, a buy intent and an ended order (which
     * the storage otherwise never lets go of), at times and ids up to T0 + 5.
     */
    const fill = () =>
      s.tx.write(() => {
        s.accounts.insertUser({
          id: userId,
          displayName: 'Alice',
          lang: 'en',
          referralCode: 'ALICE',
          createdAt: T0 + 1,
          externalRef: 'seed:alice',
        });
        s.accounts.insertKey({ id: keyId, userId, hash: 'h'.repeat(64), hint: 'jm_…abcd', name: null, createdAt: T0 + 2 });
        s.ledger.append({
          id: id('led', T0 + 3),
          userId,
          kind: 'topup',
          amountCents: 2 ** 32,
          orderId: null,
          reason: 'seed',
          createdAt: T0 + 3,
        });
        s.outbox.insert({ id: id('ob', T0 + 4), kind: 'release', activationId: '123', orderId: null, at: T0 + 4 });
        s.buyIntents.insertPending({ id: id('ob', T0 + 3), userId, service: 'wa', country: 6, startedAt: T0 + 3 }, T0 + 3);
        s.orders.insert({
          id: orderId,
          userId,
          status: 'COMPLETED',
          service: 'wa',
          country: 6,
          phone: '+79120001111',
          activationId: '124',
          chargedCents: 25,
          expiresAt: T0 + 1_200_000,
          createdAt: T0 + 5,
          updatedAt: T0 + 5,
          smsHistory: [],
          endReason: null,
        });
        s.pricingRules.replaceAll([{ service: null, country: null, markupBps: 2500, floorCents: 10 }]);
      });

    describe('latestInstant', () => {
      it('is undefined, both in rows and in ids, on an empty database', () => {
        expect(s.maintenance.latestInstant()).toEqual({ at: undefined, idAt: undefined });
      });

      it('is the newest time after inserts, exact above 2^31', () => {
        fill();
        expect(s.maintenance.latestInstant()).toEqual({ at: T0 + 5, idAt: T0 + 5 });
      });

      it('counts later times than any id: a key’s last use, a command done, an order’s update', () => {
        fill();
        s.tx.write(() => s.accounts.touchKey(keyId, T0 + 60_000));
        expect(s.maintenance.latestInstant()).toEqual({ at: T0 + 60_000, idAt: T0 + 5 });
        s.tx.write(() => s.outbox.markDone(id('ob', T0 + 4), 'ok', null, T0 + 90_000));
        expect(s.maintenance.latestInstant()).toEqual({ at: T0 + 90_000, idAt: T0 + 5 });
        const waiting = {
          ...s.orders.get(orderId)!,
          id: id('ck', T0 + 6),
          activationId: '125',
          status: 'WAITING' as const,
          updatedAt: T0 + 6,
        };
        s.tx.write(() => s.orders.insert(waiting));
        s.tx.write(() => s.orders.update(waiting, { ...waiting, status: 'RECEIVED', updatedAt: 2 ** 41 }));
        expect(s.maintenance.latestInstant()).toEqual({ at: 2 ** 41, idAt: T0 + 6 });
      });

      it('counts an id made later than every recorded time (a clock that went back)', () => {
        s.tx.write(() =>
          s.accounts.insertUser({
            id: id('cl', T0 + 5_000),
            displayName: 'B',
            lang: 'en',
            referralCode: 'B',
            createdAt: T0,
            externalRef: null,
          }),
        );
        expect(s.maintenance.latestInstant()).toEqual({ at: T0 + 5_000, idAt: T0 + 5_000 });
      });

      it('ignores settings, sessions and pricing rules, which record no instant of the data', () => {
        s.settings.set('demo_user', 'cl1');
        s.tx.write(() =>
          s.consoleSessions.insert({
            id: 'sess',
            kind: 'login',
            userId: null,
            keyId: null,
            grantMac: null,
            createdAt: T0,
            lastSeenAt: T0,
            expiresAt: T0 + 1,
          }),
        );
        s.tx.write(() => s.pricingRules.replaceAll([{ service: 'wa', country: 6, markupBps: 0, floorCents: 0 }]));
        expect(s.maintenance.latestInstant()).toEqual({ at: undefined, idAt: undefined });
      });
    });

    describe('wipe', () => {
      it('empties the data: users, keys, the ledger, orders, buy intents, the outbox, the pricing rules', () => {
        fill();
        s.maintenance.wipe([]);
        expect(s.accounts.getUser(userId)).toBeUndefined();
        expect(s.accounts.listUsers(10, undefined)).toEqual([]);
        expect(s.accounts.findKeyByHash('h'.repeat(64))).toBeUndefined();
        expect(s.accounts.findUserByExternalRef('seed:alice')).toBeUndefined();
        expect(s.ledger.listByUser(userId, 10)).toEqual([]);
        expect(s.ledger.countByKind('topup')).toBe(0);
        expect(s.outbox.listRecent(10)).toEqual([]);
        expect(s.orders.get(orderId)).toBeUndefined();
        expect(s.orders.count()).toBe(0);
        expect(s.buyIntents.pendingCount()).toBe(0);
        expect(s.pricingRules.list()).toEqual([]);
        expect(s.activations.highestNumericId()).toBe(0);
        expect(s.maintenance.latestInstant()).toEqual({ at: undefined, idAt: undefined });
      });

      it('keeps only the settings listed', () => {
        s.settings.set('admin_token_sha256', 'digest');
        s.settings.set('facade_key', 'ключ 🔑');
        s.settings.set('demo_user', 'cl1');
        s.settings.set('catalogue', '{}');
        s.maintenance.wipe(['admin_token_sha256', 'facade_key', 'not-set']);
        expect(s.settings.get('admin_token_sha256')).toBe('digest');
        expect(s.settings.get('facade_key')).toBe('ключ 🔑');
        expect(s.settings.get('demo_user')).toBeUndefined();
        expect(s.settings.get('catalogue')).toBeUndefined();
        expect(s.settings.get('not-set')).toBeUndefined();
      });

      it('keeps no setting when none is listed', () => {
        s.settings.set('admin_token_sha256', 'digest');
        s.maintenance.wipe([]);
        expect(s.settings.get('admin_token_sha256')).toBeUndefined();
      });

      it('ends users’ console sessions and keeps operators’, no longer viewing a user', () => {
        fill();
        s.tx.write(() => {
          s.consoleSessions.insert({
            id: 'u',
            kind: 'user',
            userId,
            keyId,
            grantMac: null,
            createdAt: T0,
            lastSeenAt: T0,
            expiresAt: T0 + 1000,
          });
          s.consoleSessions.insert({
            id: 'o',
            kind: 'operator',
            userId,
            keyId: null,
            grantMac: 'mac',
            createdAt: T0,
            lastSeenAt: T0,
            expiresAt: T0 + 1000,
          });
        });
        s.maintenance.wipe([]);
        expect(s.consoleSessions.get('u')).toBeUndefined();
        expect(s.consoleSessions.get('o')).toEqual({
          id: 'o',
          kind: 'operator',
          userId: null,
          keyId: null,
          grantMac: 'mac',
          createdAt: T0,
          lastSeenAt: T0,
          expiresAt: T0 + 1000,
        });
      });

      it('leaves a working, guarded store: the same rows can be written again', () => {
        fill();
        s.maintenance.wipe([]);
        fill();
        expect(s.accounts.getUser(userId)?.balanceCents).toBe(2 ** 32);
        expect(s.accounts.countActiveKeys(userId)).toBe(1);
        expect(s.outbox.listPending()).toHaveLength(1);
        const completed = s.orders.get(orderId)!;
        expect(completed.status).toBe('COMPLETED');
        // The guards stand again: an ended order still refuses to change.
        expect(() => s.tx.write(() => s.orders.update(completed, { ...completed, status: 'WAITING', updatedAt: T0 + 9 }))).toThrow();
        expect(s.orders.get(orderId)).toEqual(completed);
      });

      it('wipes an empty database without an error', () => {
        expect(() => s.maintenance.wipe([])).not.toThrow();
        expect(s.maintenance.latestInstant()).toEqual({ at: undefined, idAt: undefined });
      });
    });
  });
}
