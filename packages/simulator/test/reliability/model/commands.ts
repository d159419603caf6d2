/**
 * The commands of the model-based test, as fast-check arbitraries: buy (every input shape, every
 * upstream fault), poll, cancel, next-sms, SMS arrival (duplicate and late too), top-ups, the
 * clock moving with or without the worker's tick (faults during it), other users' and unknown
 * ids, and bursts of concurrent actions. Each command acts on the engine and the model, then
 * checks that they agree.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { UpstreamErrorKind } from '@jiema/core';
import {
  describeOutcome,
  isLiveStatus,
  ORDER_INPUTS,
  sameOutcome,
  type BuyFault,
  type OrderModel,
  type Outcome,
  type SyncFault,
  type TickFaults,
} from './order-model.js';
import { attempt, compare, expectMatches, topUp, type RealSystem } from './real-system.js';
import type { FaultMethod } from './scripted-faults-upstream.js';

type Cmd = fc.AsyncCommand<OrderModel, RealSystem>;

/** Whoever acts: the order's owner, or the other user (who must be told NOT_FOUND). */
const actor = (m: OrderModel, orderIx: number, stranger: boolean): number => {
  const owner = m.order(orderIx).user;
  return stranger ? (owner + 1) % m.balances.length : owner;
};

/** How often each command met each outcome over the whole property: the coverage the report shows. */
export const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

function expectOutcome(predicted: Outcome, observed: Outcome, what: string): void {
  count(`${what.replace(/\(.*/, '')}${what.includes(' with buy ') ? ' (upstream fault)' : ''}: ${describeOutcome(observed)}`);
  expect(describeOutcome(observed), what).toBe(describeOutcome(predicted));
}

const BUY_FAULTS: Array<BuyFault | undefined> = [
  undefined,
  { error: 'UNAVAILABLE' },
  { error: 'PROTOCOL' },
  { error: 'NO_NUMBERS' },
  { error: 'NO_BALANCE' },
  { error: 'TIMEOUT' },
  { error: 'TIMEOUT', afterSuccess: true },
  { error: 'TIMEOUT', afterSuccess: true, listActiveFails: true },
];

class CreateCmd implements Cmd {
  constructor(
    readonly user: number,
    readonly input: number,
    readonly fault: BuyFault | undefined,
  ) {}
  check = () => true;
  async run(m: OrderModel, r: RealSystem) {
    const input = ORDER_INPUTS[this.input]!;
    if (this.fault) {
      r.upstream.arm({ method: 'buy', error: this.fault.error, ...(this.fault.afterSuccess && { afterSuccess: true }) });
      if (this.fault.listActiveFails) r.upstream.arm({ method: 'listActive', error: 'UNAVAILABLE' });
    }
    const observed = await attempt(() => r.engine.orders.create(r.users[this.user]!, input)).finally(() => r.upstream.disarm());
    expectOutcome(m.create(this.user, input, this.fault, observed), observed, this.toString());
    expectMatches(m, r, this.toString());
  }
  toString() {
    const f = this.fault
      ? ` with buy ${this.fault.error}${this.fault.afterSuccess ? ' after success' : ''}${this.fault.listActiveFails ? ' and listActive down' : ''}`
      : '';
    return `create(user${this.user}, ${JSON.stringify(ORDER_INPUTS[this.input])}${f})`;
  }
}

class GetCmd implements Cmd {
  constructor(
    readonly order: number,
    readonly stranger: boolean,
    readonly fault: SyncFault,
  ) {}
  check = (m: Readonly<OrderModel>) => m.orders.length > 0;
  async run(m: OrderModel, r: RealSystem) {
    const o = m.order(this.order);
    const user = actor(m, this.order, this.stranger);
    if (this.fault)
      r.upstream.arm({
        method: 'getStatus',
        activationId: o.activationId,
        error: this.fault === 'closed' ? 'NO_ACTIVATION' : 'UNAVAILABLE',
      });
    const observed = await attempt(() => r.engine.orders.get(r.users[user]!, o.id)).finally(() => r.upstream.disarm());
    expectOutcome(m.get(user, o.id, this.fault), observed, this.toString());
    expectMatches(m, r, this.toString());
  }
  toString() {
    return `get(order#${this.order}${this.stranger ? ', by the other user' : ''}${this.fault ? `, status call ${this.fault}` : ''})`;
  }
}

class ActCmd implements Cmd {
  constructor(
    readonly action: 'cancel' | 'nextSms',
    readonly order: number,
    readonly stranger: boolean,
  ) {}
  check = (m: Readonly<OrderModel>) => m.orders.length > 0;
  async run(m: OrderModel, r: RealSystem) {
    const o = m.order(this.order);
    const user = actor(m, this.order, this.stranger);
    const observed = await attempt(() => r.engine.orders[this.action](r.users[user]!, o.id));
    expectOutcome(m[this.action](user, o.id), observed, this.toString());
    expectMatches(m, r, this.toString());
  }
  toString() {
    return `${this.action}(order#${this.order}${this.stranger ? ', by the other user' : ''})`;
  }
}

/** An id that was never issued must get the same answer, word for word, as another user's order. */
class UnknownIdCmd implements Cmd {
  constructor(readonly user: number) {}
  check = (m: Readonly<OrderModel>) => m.orders.length > 0;
  async run(m: OrderModel, r: RealSystem) {
    const theirs = m.orders.find((o) => o.user !== this.user);
    const message = async (id: string) => {
      try {
        await r.engine.orders.get(r.users[this.user]!, id);
        return 'found';
      } catch (err) {
        return `${(err as { code?: string }).code}: ${(err as Error).message}`;
      }
    };
    const unknown = await message(`ck${'0'.repeat(25)}`);
    expect(unknown).toMatch(/^NOT_FOUND: /);
    if (theirs) expect(await message(theirs.id)).toBe(unknown);
    expectMatches(m, r, this.toString());
  }
  toString() {
    return `unknownId(user${this.user})`;
  }
}

class DeliverSmsCmd implements Cmd {
  constructor(
    readonly order: number,
    readonly code: number,
    readonly duplicate: boolean,
  ) {}
  check = (m: Readonly<OrderModel>) => m.orders.length > 0;
  async run(m: OrderModel, r: RealSystem) {
    const o = m.order(this.order);
    if (this.duplicate) {
      // The upstream lists a message it already reported, under the same key: nothing may change.
      const messages = r.memory.activation(o.activationId)?.messages;
      if (messages && messages.length > 0) messages.push({ ...messages.at(-1)! });
    } else {
      const accepted = r.memory.deliverSms(o.activationId, `Your code is ${this.code}. Do not share it.`);
      const expected = m.deliver(o, accepted);
      count(
        `sms to a ${isLiveStatus(o.status) ? (m.now > o.expiresAt ? 'live order past its window' : 'live order') : 'finished order'}: ${accepted ? 'taken' : 'dropped'} by the upstream`,
      );
      if (expected !== undefined) expect(accepted, `${this.toString()}: the upstream took it`).toBe(expected);
    }
    expectMatches(m, r, this.toString());
  }
  toString() {
    return this.duplicate ? `duplicateSms(order#${this.order})` : `sms(order#${this.order}, ${this.code})`;
  }
}

const OUTBOX_METHODS: FaultMethod[] = ['cancel', 'finish', 'requestNextSms'];

class AdvanceCmd implements Cmd {
  constructor(
    readonly ms: number,
    readonly tick: boolean,
    readonly faults: TickFaults & { outbox?: UpstreamErrorKind },
  ) {}
  check = () => true;
  async run(m: OrderModel, r: RealSystem) {
    r.clock.advance(this.ms);
    m.advance(this.ms);
    if (this.tick) {
      if (this.faults.getStatus) r.upstream.arm({ method: 'getStatus', error: 'UNAVAILABLE' });
      if (this.faults.listActive) r.upstream.arm({ method: 'listActive', error: 'TIMEOUT' });
      const outbox = this.faults.outbox;
      if (outbox) r.upstream.arm(...OUTBOX_METHODS.map((method) => ({ method, error: outbox })));
      await r.engine.tick().finally(() => r.upstream.disarm());
      m.tick(this.faults);
    }
    expectMatches(m, r, this.toString());
  }
  toString() {
    const f = Object.entries(this.faults)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k}:${String(v)}`);
    return `advance(${this.ms} ms${this.tick ? `, tick${f.length ? ` [${f.join(' ')}]` : ''}` : ''})`;
  }
}

class TopUpCmd implements Cmd {
  constructor(
    readonly user: number,
    readonly cents: number,
  ) {}
  check = () => true;
  async run(m: OrderModel, r: RealSystem) {
    topUp(r, this.user, this.cents);
    m.topUp(this.user, this.cents);
    expectMatches(m, r, this.toString());
  }
  toString() {
    return `topUp(user${this.user}, ${this.cents})`;
  }
}

type BurstOp = { kind: 'create'; user: number; input: number } | { kind: 'get' | 'cancel' | 'nextSms'; order: number; stranger: boolean };

/**
 * Several actions at once (Promise.all, no await between them). The engine must behave as if they
 * ran one after another in some order: some permutation of them, run on the model, must give
 * every answer the engine gave and end in the engine's state (linearizability).
 */
class BurstCmd implements Cmd {
  constructor(readonly ops: BurstOp[]) {}
  check = (m: Readonly<OrderModel>) => m.orders.length > 0;
  async run(m: OrderModel, r: RealSystem) {
    const bound = this.ops.map((op) => {
      if (op.kind === 'create') return { op, user: op.user, id: '' };
      const o = m.order(op.order);
      return { op, user: actor(m, op.order, op.stranger), id: o.id };
    });
    const observed = await Promise.all(
      bound.map(({ op, user, id }) => {
        const uid = r.users[user]!;
        if (op.kind === 'create') return attempt(() => r.engine.orders.create(uid, ORDER_INPUTS[op.input]!));
        return attempt(() => r.engine.orders[op.kind](uid, id));
      }),
    );
    for (const order of permutations(bound.map((_, i) => i))) {
      const trial = m.clone();
      const fits = order.every((i) => {
        const { op, user, id } = bound[i]!;
        const predicted =
          op.kind === 'create' ? trial.create(user, ORDER_INPUTS[op.input]!, undefined, observed[i]!) : trial[op.kind](user, id);
        return sameOutcome(predicted, observed[i]!);
      });
      if (fits && compare(trial, r).length === 0) {
        count(`burst of ${this.ops.length}: explained by a serial order`);
        m.adopt(trial);
        expectMatches(m, r, this.toString());
        return;
      }
    }
    expect.fail(
      `${this.toString()}: no serial order explains the answers ${observed.map(describeOutcome).join(', ')} and the state they left`,
    );
  }
  toString() {
    const ops = this.ops.map((op) =>
      op.kind === 'create'
        ? `create(user${op.user}, ${JSON.stringify(ORDER_INPUTS[op.input])})`
        : `${op.kind}(order#${op.order}${op.stranger ? ', stranger' : ''})`,
    );
    return `burst[${ops.join(' | ')}]`;
  }
}

function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

// ------------------------------------------------------------------ arbitraries

const user = fc.integer({ min: 0, max: 1 });
const orderIx = fc.nat({ max: 31 });
/** One action in ten comes from the other user. */
const stranger = fc.integer({ min: 0, max: 9 }).map((n) => n === 0);
const inputIx = fc.integer({ min: 0, max: ORDER_INPUTS.length - 1 });
/** Most buys are valid ones; the refused inputs come often enough to matter. */
const weightedInput = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 4 }), weight: 4 }, { arbitrary: inputIx, weight: 1 });

const buyFault = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  { arbitrary: fc.constantFrom(...BUY_FAULTS.slice(1)), weight: 3 },
);

const clockStep = fc.oneof(
  { arbitrary: fc.integer({ min: 100, max: 5_000 }), weight: 4 }, // inside the sync interval, or just past it
  { arbitrary: fc.integer({ min: 30_000, max: 180_000 }), weight: 3 }, // through the early-cancel hold and reconciliation
  { arbitrary: fc.integer({ min: 19 * 60_000, max: 21 * 60_000 }), weight: 1 }, // up to and past the window
);

const tickFaults = fc.oneof(
  { arbitrary: fc.constant({}), weight: 6 },
  { arbitrary: fc.constant({ getStatus: 'fail' as const }), weight: 1 },
  { arbitrary: fc.constant({ listActive: true }), weight: 1 },
  { arbitrary: fc.constantFrom<UpstreamErrorKind>('UNAVAILABLE', 'TIMEOUT', 'PROTOCOL').map((outbox) => ({ outbox })), weight: 1 },
);

const burstOp: fc.Arbitrary<BurstOp> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), user, input: weightedInput }),
  fc.record({ kind: fc.constantFrom('get' as const, 'cancel' as const, 'nextSms' as const), order: orderIx, stranger }),
);

const sms = fc.tuple(orderIx, fc.integer({ min: 100_000, max: 999_999 })).map(([o, c]) => new DeliverSmsCmd(o, c, false));
const poll = fc
  .tuple(orderIx, stranger, fc.constantFrom<SyncFault>(undefined, undefined, undefined, 'fail', 'closed'))
  .map(([o, s, f]) => new GetCmd(o, s, f));

/** Weighted so that SMS, polls and next-sms cycles are common, and the rarer paths still come up. */
export const commandArbitraries: Array<fc.Arbitrary<Cmd>> = [
  fc.tuple(user, weightedInput, buyFault).map(([u, i, f]) => new CreateCmd(u, i, f)),
  fc.tuple(user, weightedInput).map(([u, i]) => new CreateCmd(u, i, undefined)),
  poll,
  poll,
  fc.tuple(orderIx, stranger).map(([o, s]) => new ActCmd('cancel', o, s)),
  fc.tuple(orderIx, stranger).map(([o, s]) => new ActCmd('nextSms', o, s)),
  fc.tuple(orderIx, stranger).map(([o, s]) => new ActCmd('nextSms', o, s)),
  sms,
  sms,
  orderIx.map((o) => new DeliverSmsCmd(o, 0, true)),
  fc.tuple(clockStep, fc.boolean(), tickFaults).map(([ms, tick, f]) => new AdvanceCmd(ms, tick, tick ? f : {})),
  fc.tuple(clockStep, fc.boolean(), tickFaults).map(([ms, tick, f]) => new AdvanceCmd(ms, tick, tick ? f : {})),
  fc.tuple(user, fc.integer({ min: 1, max: 200 })).map(([u, c]) => new TopUpCmd(u, c)),
  user.map((u) => new UnknownIdCmd(u)),
  fc.array(burstOp, { minLength: 2, maxLength: 4 }).map((ops) => new BurstCmd(ops)),
];
