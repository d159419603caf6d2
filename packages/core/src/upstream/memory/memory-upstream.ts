/**
 * An in-memory Upstream for core's own tests: a catalogue, stock, activations that follow the
 * upstream lifecycle (WAITING → RECEIVED → next SMS → … → CLOSED), an early-cancel hold, a
 * lifetime, and a queue of scripted failures. It reads time from the injected clock.
 */
import type { Clock } from '../../ports/clock.js';
import type { Activation, ActivationStatus, ActiveActivation, Upstream, UpstreamCatalogue, UpstreamSms } from '../upstream.js';
import { UpstreamError } from '../upstream-error.js';

type Method = 'getCatalogue' | 'getBalance' | 'buy' | 'getStatus' | 'requestNextSms' | 'finish' | 'cancel' | 'listActive';

interface MemoryActivation {
  id: string;
  phone: string;
  service: string;
  country: number;
  startedAt: number;
  state: 'WAITING' | 'RECEIVED' | 'CLOSED';
  messages: UpstreamSms[];
  waitingSince: number;
}

export interface MemoryUpstreamOptions {
  clock: Clock;
  catalogue: UpstreamCatalogue;
  earlyCancelHoldMs?: number;
  lifetimeMs?: number;
  balance?: string;
  /**
   * Delivers an SMS by itself this long after a number starts waiting (bought, or after a
   * next-SMS request), made by `autoSmsText`. For a usable local server without a simulator.
   */
  autoSmsAfterMs?: number;
  autoSmsText?: (service: string, n: number) => string;
}

export class MemoryUpstream implements Upstream {
  readonly name = 'memory';
  readonly calls: Array<{ method: Method; args: unknown[] }> = [];
  private readonly activations = new Map<string, MemoryActivation>();
  private readonly failures: Array<{ method: Method; error: UpstreamError; afterSuccess: boolean }> = [];
  private readonly stock = new Map<string, number>();
  private nextId = 1000;
  private smsSeq = 0;
  readonly earlyCancelHoldMs: number;
  readonly lifetimeMs: number;

  constructor(private readonly options: MemoryUpstreamOptions) {
    this.earlyCancelHoldMs = options.earlyCancelHoldMs ?? 120_000;
    this.lifetimeMs = options.lifetimeMs ?? 20 * 60_000;
    for (const o of options.catalogue.offers) this.stock.set(`${o.service}/${o.country}`, o.count);
  }

  /**
   * The next call of `method` fails with `error`. With `afterSuccess`, the call takes effect first
   * and only its answer is lost (a buy that sold a number and then timed out).
   */
  failNext(method: Method, error: UpstreamError, afterSuccess = false): void {
    this.failures.push({ method, error, afterSuccess });
  }

  setStock(service: string, country: number, count: number): void {
    this.stock.set(`${service}/${country}`, count);
  }

  /** Delivers an SMS to an open activation; returns false when it is closed (a late SMS is dropped). */
  deliverSms(activationId: string, text: string, code: string | null = /\d{4,8}/.exec(text)?.[0] ?? null): boolean {
    const a = this.live(activationId);
    if (!a || a.state === 'CLOSED') return false;
    a.messages.push({ key: `m${++this.smsSeq}`, text, code, receivedAt: this.options.clock.now() });
    a.state = 'RECEIVED';
    return true;
  }

  activation(activationId: string): Readonly<MemoryActivation> | undefined {
    return this.live(activationId);
  }

  private live(id: string): MemoryActivation | undefined {
    const a = this.activations.get(id);
    const now = this.options.clock.now();
    const auto = this.options.autoSmsAfterMs;
    if (
      a &&
      a.state === 'WAITING' &&
      auto !== undefined &&
      now >= a.waitingSince + auto &&
      a.waitingSince + auto < a.startedAt + this.lifetimeMs
    ) {
      const text =
        this.options.autoSmsText?.(a.service, a.messages.length) ??
        `Your verification code is ${100000 + ((Number(a.id) * 7919 + a.messages.length * 104729) % 900000)}`;
      a.messages.push({ key: `m${++this.smsSeq}`, text, code: /\d{4,8}/.exec(text)?.[0] ?? null, receivedAt: a.waitingSince + auto });
      a.state = 'RECEIVED';
    }
    if (a && a.state !== 'CLOSED' && now >= a.startedAt + this.lifetimeMs) a.state = 'CLOSED';
    return a;
  }

  private async call<T>(method: Method, args: unknown[], run: () => T): Promise<T> {
    this.calls.push({ method, args });
    await Promise.resolve();
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [failure] = this.failures.splice(i, 1);
      if (failure!.afterSuccess) run();
      throw failure!.error;
    }
    return run();
  }

  private require(id: string): MemoryActivation {
    const a = this.live(id);
    if (!a) throw new UpstreamError('NO_ACTIVATION', `no activation ${id}`, { raw: 'NO_ACTIVATION' });
    return a;
  }

  getCatalogue(): Promise<UpstreamCatalogue> {
    return this.call('getCatalogue', [], () => ({
      ...this.options.catalogue,
      offers: this.options.catalogue.offers.map((o) => ({ ...o, count: this.stock.get(`${o.service}/${o.country}`) ?? 0 })),
    }));
  }

  getBalance(): Promise<{ amount: string }> {
    return this.call('getBalance', [], () => ({ amount: this.options.balance ?? '100' }));
  }

  buy(request: { service: string; country: number }): Promise<Activation> {
    return this.call('buy', [request], () => {
      const { catalogue } = this.options;
      if (!catalogue.services.some((s) => s.code === request.service))
        throw new UpstreamError('BAD_SERVICE', 'unknown service', { raw: 'BAD_SERVICE' });
      if (!catalogue.countries.some((c) => c.id === request.country))
        throw new UpstreamError('BAD_COUNTRY', 'unknown country', { raw: 'BAD_COUNTRY' });
      const key = `${request.service}/${request.country}`;
      const left = this.stock.get(key) ?? 0;
      if (left <= 0) throw new UpstreamError('NO_NUMBERS', 'no numbers', { raw: 'NO_NUMBERS' });
      this.stock.set(key, left - 1);
      const id = String(this.nextId++);
      const phone = `60${String(100_000_000 + Number(id)).slice(-9)}`;
      this.activations.set(id, {
        id,
        phone,
        service: request.service,
        country: request.country,
        startedAt: this.options.clock.now(),
        state: 'WAITING',
        messages: [],
        waitingSince: this.options.clock.now(),
      });
      return { activationId: id, phone };
    });
  }

  getStatus(activationId: string): Promise<ActivationStatus> {
    return this.call('getStatus', [activationId], () => {
      const a = this.require(activationId);
      return { state: a.state, messages: a.messages.map((m) => ({ ...m })) };
    });
  }

  requestNextSms(activationId: string): Promise<void> {
    return this.call('requestNextSms', [activationId], () => {
      const a = this.require(activationId);
      if (a.state !== 'RECEIVED') throw new UpstreamError('BAD_STATUS', 'no SMS to follow up', { raw: 'BAD_STATUS' });
      a.state = 'WAITING';
      a.waitingSince = this.options.clock.now();
    });
  }

  finish(activationId: string): Promise<void> {
    return this.call('finish', [activationId], () => {
      const a = this.require(activationId);
      if (a.state === 'CLOSED') throw new UpstreamError('NO_ACTIVATION', 'already closed', { raw: 'NO_ACTIVATION' });
      a.state = 'CLOSED';
    });
  }

  cancel(activationId: string): Promise<void> {
    return this.call('cancel', [activationId], () => {
      const a = this.require(activationId);
      if (a.state === 'CLOSED') throw new UpstreamError('NO_ACTIVATION', 'already closed', { raw: 'NO_ACTIVATION' });
      if (a.messages.length > 0) throw new UpstreamError('CODE_RECEIVED', 'an SMS already arrived', { raw: 'BAD_STATUS' });
      const heldFor = a.startedAt + this.earlyCancelHoldMs - this.options.clock.now();
      if (heldFor > 0)
        throw new UpstreamError('EARLY_CANCEL_DENIED', 'too early to cancel', { raw: 'EARLY_CANCEL_DENIED', retryAfterMs: heldFor });
      a.state = 'CLOSED';
      this.stock.set(`${a.service}/${a.country}`, (this.stock.get(`${a.service}/${a.country}`) ?? 0) + 1);
    });
  }

  listActive(): Promise<ActiveActivation[]> {
    return this.call('listActive', [], () =>
      [...this.activations.keys()]
        .map((id) => this.live(id)!)
        .filter((a) => a.state !== 'CLOSED')
        .map((a) => ({ activationId: a.id, phone: a.phone, service: a.service, country: a.country, startedAt: a.startedAt })),
    );
  }
}
