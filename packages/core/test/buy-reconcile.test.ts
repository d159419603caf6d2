/**
 * Reconciling buys whose outcome is unknown (D9) while other buys of the same service and
 * country are still in flight: the worker must never give back a number a live buy is about to
 * hand to its user, and it gives each orphan back once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryUpstream, UpstreamError, type Activation } from '../src/index.js';
import { TEST_CATALOGUE } from '../src/testing.js';
import { expectInvariants, makeEngine, until, type TestEngine } from './helpers.js';

/** MemoryUpstream whose next buy sells at once but holds its answer until the test lets it go. */
class HeldAnswerUpstream extends MemoryUpstream {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  holdNextBuy(): () => void {
    this.gate = new Promise((resolve) => (this.open = resolve));
    return () => this.open?.();
  }
  override async buy(request: { service: string; country: number }): Promise<Activation> {
    const sold = await super.buy(request);
    const gate = this.gate;
    this.gate = undefined;
    if (gate) await gate;
    return sold;
  }
}

let t: TestEngine & { upstream: HeldAnswerUpstream };
beforeEach(() => {
  const clock = new ManualClock();
  const upstream = new HeldAnswerUpstream({ clock, catalogue: TEST_CATALOGUE });
  t = { ...makeEngine({ clock, upstream }), upstream };
});
afterEach(() => {
  expectInvariants(t.engine);
  t.engine.close();
});

const orderStatus = (id: string) => t.engine.stores.orders.get(id)!.status;
const releases = () =>
  t.engine.outbox
    .list(1_000)
    .filter((c) => c.kind === 'release')
    .map((c) => c.activationId);

describe('buy reconciliation with buys in flight', () => {
  it('leaves alone the number a buy still in flight is about to record, and keeps that order alive', async () => {
    const user = t.engine.accounts.createUser({ balanceCents: 1_000 });
    // A buy times out having sold nothing: its intent waits for the worker.
    t.upstream.failNext('buy', new UpstreamError('TIMEOUT', 'no answer'));
    await expect(t.engine.orders.create(user.id, { service: 'tg', country: 7 })).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    t.clock.advance(61_000);

    // Another buy of the same pair has been sold at the upstream; its answer is still on the way.
    const letGo = t.upstream.holdNextBuy();
    const pending = t.engine.orders.create(user.id, { service: 'tg', country: 7 });
    await until(() => t.upstream.calls.filter((c) => c.method === 'buy').length === 2);
    expect(await t.upstream.listActive()).toHaveLength(1);

    await t.engine.tick(); // the worker reconciles the first intent meanwhile
    letGo();
    const order = await pending;
    expect(releases()).toEqual([]);

    t.clock.advance(125_000);
    await t.engine.tick();
    t.clock.advance(3_000);
    const seen = await t.engine.orders.get(user.id, order.id);
    expect(seen.status).toBe('WAITING');
    expect(t.upstream.activation(order.activationId)!.state).toBe('WAITING');
    expect(orderStatus(order.id)).toBe('WAITING');
    expect(t.engine.accounts.requireUser(user.id).balanceCents).toBe(1_000 - order.chargedCents);

    // Once nothing of the pair is in flight, the first intent is settled: nothing was sold for it.
    t.clock.advance(60_000);
    await t.engine.tick();
    expect(t.engine.stores.buyIntents.pendingCount()).toBe(0);
  });

  it('gives each orphaned number back once, however many unresolved buys see it', async () => {
    const user = t.engine.accounts.createUser({ balanceCents: 1_000 });
    // Two buys sell a number each and lose the answer while the active list is down: two orphans.
    for (let i = 0; i < 2; i++) {
      t.upstream.failNext('buy', new UpstreamError('TIMEOUT', 'no answer'), true);
      // (the second buy does not even look: the first one's intent makes any match ambiguous)
      if (i === 0) t.upstream.failNext('listActive', new UpstreamError('UNAVAILABLE', 'down'));
      await expect(t.engine.orders.create(user.id, { service: 'tg', country: 7 })).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    }
    const orphans = (await t.upstream.listActive()).map((a) => a.activationId).sort();
    expect(orphans).toHaveLength(2);
    t.clock.advance(61_000);
    await t.engine.tick();
    expect(releases().sort()).toEqual(orphans);
    t.clock.advance(125_000);
    await t.engine.tick();
    expect(await t.upstream.listActive()).toEqual([]);
    expect(t.engine.outbox.pending()).toEqual([]);
  });
});
