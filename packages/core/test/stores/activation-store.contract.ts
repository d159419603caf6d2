/**
 * The ActivationStore contract (docs/decisions.md D125): the upstream activations the database
 * remembers, which a simulator continues from. Orders and buy intents have no store on this
 * branch's main yet: the activation ids are written through the outbox store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/stores.js';
import type { OpenedStores, StoreHarness } from './harness.js';

const T0 = 1_764_612_345_678;
const obId = (n: number) => `ob${(T0 + n).toString(36).padStart(9, '0')}0000r4nd0mta1l00`;

export function activationStoreContract(h: StoreHarness): void {
  describe(`${h.name}: ActivationStore`, () => {
    let opened: OpenedStores;
    let s: Stores;

    beforeEach(() => {
      opened = h.open();
      s = opened.stores;
    });
    afterEach(() => opened.close());

    const owe = (n: number, activationId: string) =>
      s.tx.write(() => s.outbox.insert({ id: obId(n), kind: 'cancel', activationId, orderId: null, at: T0 + n }));

    it('knows no activation on an empty database: the highest id is 0 and none is open', () => {
      expect(s.activations.highestNumericId()).toBe(0);
      expect(s.activations.open()).toEqual([]);
    });

    it('compares activation ids as numbers, not as text', () => {
      owe(1, '99');
      owe(2, '123');
      owe(3, '1000');
      expect(s.activations.highestNumericId()).toBe(1000);
    });

    it('reads an id above 2^31 exactly', () => {
      owe(1, '7');
      owe(2, String(2 ** 33 + 3));
      expect(s.activations.highestNumericId()).toBe(2 ** 33 + 3);
    });

    it('leaves ids that are not numbers out', () => {
      owe(1, 'act-xyz');
      expect(s.activations.highestNumericId()).toBe(0);
      owe(2, '42');
      owe(3, 'zzz');
      expect(s.activations.highestNumericId()).toBe(42);
    });

    it('counts the activations of finished commands too', () => {
      owe(1, '500');
      s.tx.write(() => s.outbox.markDone(obId(1), 'ok', null, T0 + 10));
      owe(2, '20');
      expect(s.activations.highestNumericId()).toBe(500);
    });

    it('reports no open activation for owed commands without an order to describe them', () => {
      owe(1, '500');
      expect(s.activations.open()).toEqual([]);
    });
  });
}
