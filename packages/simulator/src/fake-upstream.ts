/**
 * The simulator's fake upstream: an `Upstream` with a catalogue, stock and balance from the
 * fixture, activations that follow the upstream lifecycle, SMS scheduled on the virtual clock by
 * each service's behaviour, and faults applied on every call. It logs every call and tells the
 * simulator when an activation changes, so the engine hears of an SMS the moment it arrives.
 */
import {
  extractCode,
  formatMicros,
  parseDecimalMicros,
  UpstreamError,
  type Activation,
  type ActivationStatus,
  type ActiveActivation,
  type CatalogueFixture,
  type Clock,
  type Rng,
  type Upstream,
  type UpstreamCatalogue,
  type UpstreamSms,
} from '@jiema/core';
import { behaviourFor, type Behaviour, type BehaviourConfig } from './behaviour.js';
import type { EventLog } from './event-log.js';
import type { CallContext, Fault, FaultPlan } from './faults.js';
import type { Scheduler } from './scheduler.js';
import { makePhone, makeSms } from './sms-text.js';

export interface SimActivation {
  id: string;
  phone: string;
  service: string;
  country: number;
  costMicros: bigint;
  startedAt: number;
  state: 'WAITING' | 'RECEIVED' | 'CLOSED';
  closedReason: 'cancelled' | 'finished' | 'expired' | 'banned' | null;
  /** Set after a next-SMS request: the previous code, for STATUS_WAIT_RETRY. */
  retryOf: string | null;
  messages: UpstreamSms[];
  behaviour: Behaviour;
}

/** An UpstreamError raised by an armed fault; the protocol facades turn it into wire behaviour. */
export class SimFaultError extends UpstreamError {
  constructor(
    readonly fault: Fault,
    kind: UpstreamError['kind'],
    message: string,
    raw?: string,
  ) {
    super(kind, message, raw === undefined ? {} : { raw });
  }
}

export interface FakeUpstreamOptions {
  clock: Clock;
  rng: Rng;
  scheduler: Scheduler;
  fixture: CatalogueFixture;
  log: EventLog;
  faults: FaultPlan;
  behaviour: BehaviourConfig;
  /** The reseller's balance at this upstream, in its unit (USD). */
  balance: string;
  /** Called after an activation changes by itself (an SMS, a ban). */
  onChange: (activationId: string) => Promise<void>;
  /** Told of every SMS the upstream delivers, repeats included (the SMS-Activate facade's webhook). */
  onSms?: (activation: SimActivation, sms: UpstreamSms) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeUpstream implements Upstream {
  readonly name = 'sim';
  private readonly activations = new Map<string, SimActivation>();
  private readonly stock = new Map<string, number>();
  private readonly services;
  private readonly countries;
  private balanceMicros: bigint;
  private nextId = 300_000_001;

  constructor(private readonly o: FakeUpstreamOptions) {
    for (const offer of o.fixture.offers) this.stock.set(`${offer.service}/${offer.country}`, offer.count);
    this.services = new Map(o.fixture.services.map((s) => [s.code, s]));
    this.countries = new Map(o.fixture.countries.map((c) => [c.id, c]));
    this.balanceMicros = parseDecimalMicros(o.balance);
  }

  // ------------------------------------------------------------------ inspection and control

  get balance(): string {
    return formatMicros(this.balanceMicros);
  }

  /** Numbers bought from now on follow this behaviour (those already sold keep theirs). */
  setBehaviour(config: BehaviourConfig): void {
    this.o.behaviour = config;
  }

  get behaviour(): BehaviourConfig {
    return this.o.behaviour;
  }

  setBalance(amount: string): void {
    this.balanceMicros = parseDecimalMicros(amount);
  }

  setStock(service: string, country: number, count: number): void {
    this.stock.set(`${service}/${country}`, count);
    this.o.log.record('stock.set', { service, country, count });
  }

  getStock(service: string, country: number): number | undefined {
    return this.stock.get(`${service}/${country}`);
  }

  activation(id: string): SimActivation | undefined {
    return this.live(id);
  }

  allActivations(): SimActivation[] {
    return [...this.activations.keys()].map((id) => this.live(id)!);
  }

  countryName(id: number): string | undefined {
    return this.countries.get(id)?.name;
  }

  offerCost(service: string, country: number): bigint | undefined {
    const offer = this.o.fixture.offers.find((x) => x.service === service && x.country === country);
    return offer ? parseDecimalMicros(offer.cost) : undefined;
  }

  /** Delivers an SMS now. Returns undefined when the activation is closed: the SMS is dropped. */
  deliverSms(activationId: string, body?: string): UpstreamSms | undefined {
    const a = this.live(activationId);
    if (!a || a.state === 'CLOSED') {
      this.o.log.record('sms.dropped', { activationId, reason: a ? `closed (${a.closedReason})` : 'unknown activation' });
      return undefined;
    }
    const made = body === undefined ? makeSms(this.o.rng, this.services.get(a.service)) : { text: body, code: extractCode(body) };
    const sms: UpstreamSms = { key: `${a.id}-${a.messages.length + 1}`, text: made.text, code: made.code, receivedAt: this.o.clock.now() };
    a.messages.push(sms);
    a.state = 'RECEIVED';
    a.retryOf = null;
    this.o.log.record('sms.delivered', { activationId, service: a.service, country: a.country, n: a.messages.length });
    this.o.onSms?.(a, sms);
    return sms;
  }

  /**
   * Takes over activations a previous run of the simulator sold, from the engine's database, so a
   * restarted server's open orders carry on: their SMS so far, and a new SMS scheduled for those
   * still waiting.
   */
  adopt(
    orders: Array<{
      activationId: string;
      phone: string;
      service: string;
      country: number;
      createdAt: number;
      status: string;
      smsHistory: Array<{ key: string; body: string; code: string | null; receivedAt: number }>;
    }>,
  ): number {
    let adopted = 0;
    for (const o of orders) {
      if (this.activations.has(o.activationId)) continue;
      const live = o.status === 'WAITING' || o.status === 'RECEIVED';
      const a: SimActivation = {
        id: o.activationId,
        phone: o.phone.replace(/^\+/, ''),
        service: o.service,
        country: o.country,
        costMicros: this.offerCost(o.service, o.country) ?? 0n,
        startedAt: o.createdAt,
        state: o.status === 'RECEIVED' ? 'RECEIVED' : 'WAITING',
        closedReason: null,
        retryOf: o.status === 'WAITING' && o.smsHistory.length > 0 ? (o.smsHistory.at(-1)!.code ?? null) : null,
        messages: o.smsHistory.map((m) => ({ key: m.key, text: m.body, code: m.code, receivedAt: m.receivedAt })),
        behaviour: behaviourFor(this.o.behaviour, o.service, o.country),
      };
      this.activations.set(a.id, a);
      if (/^\d+$/.test(a.id)) this.nextId = Math.max(this.nextId, Number(a.id) + 1);
      if (live && a.state === 'WAITING') {
        const b = a.behaviour;
        if (this.o.rng.next() >= (a.messages.length ? b.noNextSmsProbability : b.noSmsProbability)) {
          this.scheduleSms(a, this.between(a.messages.length ? b.nextSmsDelayMs : b.smsDelayMs), 'adopted');
        }
      }
      adopted += 1;
    }
    return adopted;
  }

  /** New activations get ids above `id` (the largest one a database from an earlier run knows). */
  continueAfter(id: number): void {
    if (Number.isSafeInteger(id) && id >= this.nextId) this.nextId = id + 1;
  }

  /** Closes an activation as the upstream would when it bans the number. */
  ban(activationId: string): boolean {
    const a = this.live(activationId);
    if (!a || a.state === 'CLOSED' || a.messages.length > 0) return false;
    this.close(a, 'banned', true);
    this.o.log.record('number.banned', { activationId });
    return true;
  }

  // ------------------------------------------------------------------ the Upstream port

  getCatalogue(): Promise<UpstreamCatalogue> {
    return this.guard({ method: 'getCatalogue' }, () => ({
      countries: this.o.fixture.countries.map((c) => ({ id: c.id, name: c.name })),
      services: this.o.fixture.services.map((s) => ({ code: s.code, name: s.name })),
      offers: this.o.fixture.offers.map((x) => ({
        service: x.service,
        country: x.country,
        cost: x.cost,
        count: this.stock.get(`${x.service}/${x.country}`) ?? 0,
      })),
    }));
  }

  getBalance(): Promise<{ amount: string }> {
    return this.guard({ method: 'getBalance' }, () => ({ amount: this.balance }));
  }

  buy(request: { service: string; country: number }): Promise<Activation> {
    return this.guard({ method: 'buy', service: request.service, country: request.country }, () => {
      if (!this.services.has(request.service))
        throw new UpstreamError('BAD_SERVICE', `unknown service ${request.service}`, { raw: 'BAD_SERVICE' });
      if (!this.countries.has(request.country))
        throw new UpstreamError('BAD_COUNTRY', `unknown country ${request.country}`, { raw: 'BAD_COUNTRY' });
      const key = `${request.service}/${request.country}`;
      const cost = this.offerCost(request.service, request.country);
      const left = this.stock.get(key) ?? 0;
      if (cost === undefined || left <= 0) throw new UpstreamError('NO_NUMBERS', 'no free numbers', { raw: 'NO_NUMBERS' });
      if (this.balanceMicros < cost) throw new UpstreamError('NO_BALANCE', 'the reseller balance is too low', { raw: 'NO_BALANCE' });
      this.balanceMicros -= cost;
      this.stock.set(key, left - 1);
      const now = this.o.clock.now();
      const a: SimActivation = {
        id: String(this.nextId++),
        phone: makePhone(this.o.rng, this.countries.get(request.country)),
        service: request.service,
        country: request.country,
        costMicros: cost,
        startedAt: now,
        state: 'WAITING',
        closedReason: null,
        retryOf: null,
        messages: [],
        behaviour: behaviourFor(this.o.behaviour, request.service, request.country),
      };
      this.activations.set(a.id, a);
      this.planFirstSms(a);
      return { activationId: a.id, phone: a.phone };
    });
  }

  getStatus(activationId: string): Promise<ActivationStatus> {
    return this.guard({ method: 'getStatus' }, () => {
      const a = this.require(activationId);
      return { state: a.state, messages: a.messages.map((m) => ({ ...m })) };
    });
  }

  requestNextSms(activationId: string): Promise<void> {
    return this.guard({ method: 'requestNextSms' }, () => {
      const a = this.require(activationId);
      if (a.state !== 'RECEIVED') throw new UpstreamError('BAD_STATUS', 'no SMS to follow up', { raw: 'BAD_STATUS' });
      a.state = 'WAITING';
      a.retryOf = a.messages.at(-1)?.code ?? null;
      const b = a.behaviour;
      if (this.o.rng.next() >= b.noNextSmsProbability) this.scheduleSms(a, this.between(b.nextSmsDelayMs), 'next-sms');
    });
  }

  finish(activationId: string): Promise<void> {
    return this.guard({ method: 'finish' }, () => {
      const a = this.require(activationId);
      if (a.state === 'CLOSED') throw new UpstreamError('NO_ACTIVATION', 'already closed', { raw: 'NO_ACTIVATION' });
      this.close(a, 'finished', a.messages.length === 0);
    });
  }

  cancel(activationId: string): Promise<void> {
    return this.guard({ method: 'cancel' }, () => {
      const a = this.require(activationId);
      if (a.state === 'CLOSED') throw new UpstreamError('NO_ACTIVATION', 'already closed', { raw: 'NO_ACTIVATION' });
      if (a.messages.length > 0) throw new UpstreamError('CODE_RECEIVED', 'an SMS already arrived; finish instead', { raw: 'BAD_STATUS' });
      const heldFor = a.startedAt + a.behaviour.earlyCancelHoldMs - this.o.clock.now();
      if (heldFor > 0)
        throw new UpstreamError('EARLY_CANCEL_DENIED', 'too early to cancel', { raw: 'EARLY_CANCEL_DENIED', retryAfterMs: heldFor });
      this.close(a, 'cancelled', true);
    });
  }

  listActive(): Promise<ActiveActivation[]> {
    return this.guard({ method: 'listActive' }, () =>
      this.allActivations()
        .filter((a) => a.state !== 'CLOSED')
        .map((a) => ({ activationId: a.id, phone: a.phone, service: a.service, country: a.country, startedAt: a.startedAt })),
    );
  }

  // ------------------------------------------------------------------ internals

  private between(r: { min: number; max: number }): number {
    return r.min + Math.floor(this.o.rng.next() * (r.max - r.min + 1));
  }

  private planFirstSms(a: SimActivation): void {
    const b = a.behaviour;
    const roll = this.o.rng.next();
    if (roll < b.noSmsProbability) return;
    if (roll < b.noSmsProbability + b.banProbability) {
      const at = a.startedAt + this.between({ min: 1_000, max: Math.max(1_000, b.smsDelayMs.max) });
      this.o.scheduler.schedule(at, `ban ${a.id}`, async () => {
        if (this.ban(a.id)) await this.o.onChange(a.id);
      });
      return;
    }
    if (roll < b.noSmsProbability + b.banProbability + b.lateSmsProbability) {
      this.scheduleSms(a, b.lifetimeMs + this.between({ min: 1_000, max: 60_000 }), 'late');
      return;
    }
    this.scheduleSms(a, this.between(b.smsDelayMs), 'first');
  }

  private scheduleSms(a: SimActivation, delayMs: number, why: string): void {
    this.o.scheduler.schedule(this.o.clock.now() + delayMs, `sms ${a.id} (${why})`, async () => {
      const sms = this.deliverSms(a.id);
      if (!sms) return;
      await this.o.onChange(a.id);
      if (this.o.rng.next() < a.behaviour.duplicateSmsProbability) {
        // The upstream reports the same message again; the engine must not count it twice.
        a.messages.push({ ...sms });
        this.o.onSms?.(a, sms);
        await this.o.onChange(a.id);
      }
    });
  }

  private close(a: SimActivation, reason: NonNullable<SimActivation['closedReason']>, refund: boolean): void {
    a.state = 'CLOSED';
    a.closedReason = reason;
    if (refund) {
      this.balanceMicros += a.costMicros;
      this.stock.set(`${a.service}/${a.country}`, (this.stock.get(`${a.service}/${a.country}`) ?? 0) + (reason === 'banned' ? 0 : 1));
    }
  }

  /** Applies the lifetime lazily: an activation past it is closed (refunded when it had no SMS). */
  private live(id: string): SimActivation | undefined {
    const a = this.activations.get(id);
    if (a && a.state !== 'CLOSED' && this.o.clock.now() >= a.startedAt + a.behaviour.lifetimeMs)
      this.close(a, 'expired', a.messages.length === 0);
    return a;
  }

  private require(id: string): SimActivation {
    const a = this.live(id);
    if (!a) throw new UpstreamError('NO_ACTIVATION', `no activation ${id}`, { raw: 'NO_ACTIVATION' });
    return a;
  }

  private async guard<T>(call: CallContext, run: () => T): Promise<T> {
    const fault = this.o.faults.take(call);
    const record = (outcome: string) =>
      this.o.log.record('upstream.call', {
        method: call.method,
        ...(call.service && { service: call.service }),
        ...(call.country !== undefined && { country: call.country }),
        outcome,
      });
    if (fault) {
      this.o.log.record('fault.fired', { faultId: fault.id, kind: fault.kind, method: call.method });
      if (fault.latencyMs) await sleep(fault.latencyMs);
      if (fault.kind === 'error') {
        record(`fault:${fault.error}`);
        throw new SimFaultError(fault, fault.error!, `simulated ${fault.error}`, fault.error);
      }
      if (fault.kind === 'reply') {
        record('fault:reply');
        throw new SimFaultError(fault, 'PROTOCOL', 'the upstream answered something unexpected', fault.body);
      }
      if (fault.kind === 'garbage') {
        record('fault:garbage');
        throw new SimFaultError(
          fault,
          'PROTOCOL',
          'the upstream answered something unreadable',
          '<html><body><h1>502 Bad Gateway</h1></body></html>',
        );
      }
      if (fault.kind === 'timeout') {
        if (fault.afterSuccess) {
          try {
            run();
          } catch {
            // the call failed on its own; its answer is lost all the same
          }
        }
        record('fault:timeout');
        throw new SimFaultError(fault, 'TIMEOUT', 'the upstream did not answer in time');
      }
    }
    await Promise.resolve();
    try {
      const result = run();
      record('ok');
      return result;
    } catch (err) {
      record(err instanceof UpstreamError ? err.kind : 'error');
      throw err;
    }
  }
}
