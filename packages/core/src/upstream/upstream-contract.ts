/**
 * The Upstream conformance suite (STYLE rule 4). Every implementation — memory, the simulator's
 * fake, the protocol adapters against the simulator's facades — runs this one suite through a
 * harness that can deliver an SMS and move time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Upstream } from './upstream.js';
import { isUpstreamError, type UpstreamErrorKind } from './upstream-error.js';

export interface UpstreamHarness {
  upstream: Upstream;
  /** A service/country pair with stock, and one the upstream knows with none. */
  inStock: { service: string; country: number };
  outOfStock: { service: string; country: number };
  deliverSms(activationId: string, text: string): Promise<void>;
  /** Moves the upstream's time forward. */
  advance(ms: number): Promise<void>;
  earlyCancelHoldMs: number;
  close?(): Promise<void>;
}

async function rejectsWith(promise: Promise<unknown>, kind: UpstreamErrorKind): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected an UpstreamError of kind ${kind}`).toBeDefined();
  expect(isUpstreamError(err) ? err.kind : err).toBe(kind);
}

export function upstreamContract(name: string, make: () => Promise<UpstreamHarness>): void {
  describe(`Upstream contract: ${name}`, () => {
    let h: UpstreamHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close?.();
    });

    it('lists a catalogue whose offers name known services and countries with decimal costs', async () => {
      const cat = await h.upstream.getCatalogue();
      expect(cat.countries.length).toBeGreaterThan(0);
      expect(cat.services.length).toBeGreaterThan(0);
      const services = new Set(cat.services.map((s) => s.code));
      const countries = new Set(cat.countries.map((c) => c.id));
      for (const o of cat.offers) {
        expect(services.has(o.service), `offer service ${o.service}`).toBe(true);
        expect(countries.has(o.country), `offer country ${o.country}`).toBe(true);
        expect(o.cost).toMatch(/^\d+(\.\d+)?$/);
        expect(Number.isInteger(o.count) && o.count >= 0).toBe(true);
      }
      expect(cat.offers.some((o) => o.service === h.inStock.service && o.country === h.inStock.country && o.count > 0)).toBe(true);
    });

    it('reports its balance as a decimal string', async () => {
      expect((await h.upstream.getBalance()).amount).toMatch(/^\d+(\.\d+)?$/);
    });

    it('sells a number that waits for its first SMS and shows up as active', async () => {
      const a = await h.upstream.buy(h.inStock);
      expect(a.activationId).toMatch(/\S/);
      expect(a.phone).toMatch(/^\d{6,15}$/);
      const status = await h.upstream.getStatus(a.activationId);
      expect(status.state).toBe('WAITING');
      expect(status.messages).toHaveLength(0);
      const active = await h.upstream.listActive();
      const mine = active.find((x) => x.activationId === a.activationId);
      expect(mine).toMatchObject({ phone: a.phone, service: h.inStock.service, country: h.inStock.country });
    });

    it('refuses unknown services and countries, and pairs out of stock', async () => {
      await rejectsWith(h.upstream.buy({ service: 'zz-no-such-service', country: h.inStock.country }), 'BAD_SERVICE');
      await rejectsWith(h.upstream.buy({ service: h.inStock.service, country: 9999 }), 'BAD_COUNTRY');
      await rejectsWith(h.upstream.buy(h.outOfStock), 'NO_NUMBERS');
    });

    it('answers NO_ACTIVATION for an activation it never sold', async () => {
      await rejectsWith(h.upstream.getStatus('999999999'), 'NO_ACTIVATION');
    });

    it('shows a delivered SMS with its code, then a second one after a next-SMS request', async () => {
      const a = await h.upstream.buy(h.inStock);
      await h.deliverSms(a.activationId, 'Your code is 482913');
      const first = await h.upstream.getStatus(a.activationId);
      expect(first.state).toBe('RECEIVED');
      const m1 = first.messages.at(-1)!;
      expect(m1.code).toBe('482913');
      expect(m1.text).toContain('482913');

      await h.upstream.requestNextSms(a.activationId);
      const waiting = await h.upstream.getStatus(a.activationId);
      expect(waiting.state).toBe('WAITING');
      expect(waiting.messages.every((m) => m.key === m1.key)).toBe(true);

      await h.deliverSms(a.activationId, 'Your code is 771204');
      const second = await h.upstream.getStatus(a.activationId);
      expect(second.state).toBe('RECEIVED');
      const m2 = second.messages.at(-1)!;
      expect(m2.code).toBe('771204');
      expect(m2.key).not.toBe(m1.key);
    });

    it('keeps the key of a message stable across polls', async () => {
      const a = await h.upstream.buy(h.inStock);
      await h.deliverSms(a.activationId, 'Your code is 123456');
      const k1 = (await h.upstream.getStatus(a.activationId)).messages.at(-1)!.key;
      const k2 = (await h.upstream.getStatus(a.activationId)).messages.at(-1)!.key;
      expect(k2).toBe(k1);
    });

    it('denies a cancel inside the early-cancel hold and accepts it after', async () => {
      const a = await h.upstream.buy(h.inStock);
      await rejectsWith(h.upstream.cancel(a.activationId), 'EARLY_CANCEL_DENIED');
      await h.advance(h.earlyCancelHoldMs + 1_000);
      await h.upstream.cancel(a.activationId);
      expect((await h.upstream.listActive()).some((x) => x.activationId === a.activationId)).toBe(false);
    });

    it('refuses to cancel after an SMS, and finishes instead', async () => {
      const a = await h.upstream.buy(h.inStock);
      await h.advance(h.earlyCancelHoldMs + 1_000);
      await h.deliverSms(a.activationId, 'Your code is 555111');
      await rejectsWith(h.upstream.cancel(a.activationId), 'CODE_RECEIVED');
      await h.upstream.finish(a.activationId);
      expect((await h.upstream.listActive()).some((x) => x.activationId === a.activationId)).toBe(false);
    });

    it('refuses a next-SMS request before any SMS', async () => {
      const a = await h.upstream.buy(h.inStock);
      await rejectsWith(h.upstream.requestNextSms(a.activationId), 'BAD_STATUS');
    });
  });
}
