/**
 * The reference model the engine is checked against: orders, balances and pending buy intents
 * as plain data, with the rules of docs/decisions.md D4–D11 written the simple way. It knows nothing of
 * SQLite, the outbox or HTTP. Each method takes the fault the command scripted and returns what
 * the engine must answer.
 */
import type { UpstreamCatalogue, UpstreamErrorKind } from '@jiema/core';
import { TEST_CATALOGUE } from '../../../../core/test/helpers.js';

export const WINDOW_MS = 20 * 60_000;
/**
 * MemoryUpstream closes an activation this long after it was bought: later than the order's
 * window, so an SMS can reach the upstream after the window and the engine must not count it.
 */
export const LIFETIME_MS = 25 * 60_000;
export const SYNC_INTERVAL_MS = 2_000;
const RECONCILE_AFTER_MS = 60_000;
const MAX_RECONCILE_ATTEMPTS = 20;

/**
 * Core's test catalogue with deep stock, so no run sells an offer out: tg/187 stays at none, and
 * 999 has no offer at all.
 */
export const CATALOGUE: UpstreamCatalogue = {
  ...TEST_CATALOGUE,
  offers: TEST_CATALOGUE.offers.map((o) => ({ ...o, count: o.count > 0 ? 1_000_000 : 0 })),
};

export interface OrderInput {
  service: string;
  country: string | number;
}

/** What users send: codes and slugs, ids as numbers and strings, and inputs that must be refused. */
export const ORDER_INPUTS: readonly OrderInput[] = [
  { service: 'tg', country: 7 },
  { service: 'telegram', country: 'my' },
  { service: 'tg', country: 6 },
  { service: 'wa', country: '7' },
  { service: 'go', country: 'id' },
  { service: 'tg', country: 187 }, // listed, out of stock: the upstream says NO_NUMBERS
  { service: 'tg', country: 999 }, // a country with no offer
  { service: 'go', country: 7 }, // a service not offered there
  { service: 'xx', country: 7 },
  { service: 'tg', country: 12_345 },
];

const SERVICES: Record<string, string> = { tg: 'tg', telegram: 'tg', wa: 'wa', whatsapp: 'wa', go: 'go', google: 'go' };
const COUNTRIES: Record<string, number> = { '7': 7, my: 7, '187': 187, us: 187, '6': 6, id: 6, '999': 999, atlantis: 999 };

/** The retail price with the engine's fallback rule: +50 %, rounded up to a cent, at least 1. */
export function priceCents(cost: string): number {
  const [whole, frac = ''] = cost.split('.');
  const micros = BigInt(whole!) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
  const scaled = micros * 150n; // cents × 10^6
  return Math.max(1, Number((scaled + 999_999n) / 1_000_000n));
}

export type Status = 'WAITING' | 'RECEIVED' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface ModelOrder {
  id: string;
  activationId: string;
  user: number;
  service: string;
  country: number;
  status: Status;
  chargedCents: number;
  createdAt: number;
  expiresAt: number;
  smsCount: number;
  /** Times of SMS the upstream holds for this order that the engine has not seen yet. */
  pending: number[];
  lastSyncAt: number;
}

export interface ModelIntent {
  service: string;
  country: number;
  startedAt: number;
  nextAttemptAt: number;
  attempts: number;
}

/** How soon a pending intent whose pair may still have a buy in flight is looked at again (D128). */
const IN_FLIGHT_RECHECK_MS = 5_000;

/** What the engine answers to one action: the order's status, or an error code. */
export type Outcome = { ok: true; status: Status; id?: string; activationId?: string } | { ok: false; code: string };

/** A scripted upstream failure on a buy. TIMEOUT with afterSuccess sold the number first. */
export interface BuyFault {
  error: UpstreamErrorKind;
  afterSuccess?: boolean;
  /** The reconciliation right after a timed-out buy cannot read the upstream's active list either. */
  listActiveFails?: boolean;
}

/** A scripted failure of the upstream status call: unreadable/unavailable, or the number is gone. */
export type SyncFault = 'fail' | 'closed' | undefined;

export interface TickFaults {
  getStatus?: SyncFault;
  listActive?: boolean;
}

export const isLiveStatus = (s: Status): boolean => s === 'WAITING' || s === 'RECEIVED';
const isLive = (o: ModelOrder): boolean => isLiveStatus(o.status);

export class OrderModel {
  constructor(
    public now: number,
    public balances: number[],
    public orders: ModelOrder[] = [],
    public intents: ModelIntent[] = [],
    /**
     * Other instances may share the database (PostgreSQL): a pending intent of the same pair
     * younger than the reconciliation delay counts as a buy still in flight (D128).
     */
    public sharedDatabase = false,
  ) {}

  clone(): OrderModel {
    return new OrderModel(
      this.now,
      [...this.balances],
      this.orders.map((o) => ({ ...o, pending: [...o.pending] })),
      this.intents.map((i) => ({ ...i })),
      this.sharedDatabase,
    );
  }

  /** Takes over another model's state (the permutation a concurrent burst was found to follow). */
  adopt(other: OrderModel): void {
    Object.assign(this, other.clone());
  }

  /** Counts back from the newest order, so small indexes (which fast-check favours) hit live ones. */
  order(ix: number): ModelOrder {
    return this.orders[this.orders.length - 1 - (ix % this.orders.length)]!;
  }

  // ------------------------------------------------------------------ user actions

  create(user: number, input: OrderInput, fault: BuyFault | undefined, observed: Outcome): Outcome {
    const service = SERVICES[String(input.service).toLowerCase()];
    if (!service) return { ok: false, code: 'BAD_SERVICE' };
    const country =
      typeof input.country === 'number'
        ? CATALOGUE.countries.some((c) => c.id === input.country)
          ? input.country
          : undefined
        : COUNTRIES[input.country];
    if (country === undefined) return { ok: false, code: 'BAD_COUNTRY' };
    const offer = CATALOGUE.offers.find((o) => o.service === service && o.country === country);
    if (!offer) return { ok: false, code: 'NO_NUMBERS' };
    const price = priceCents(offer.cost);
    if (this.balances[user]! < price) return { ok: false, code: 'INSUFFICIENT' };

    const inStock = offer.count > 0;
    if (fault && fault.error !== 'TIMEOUT') return { ok: false, code: buyErrorCode(fault.error) };
    if (fault) {
      // A timed-out buy is reconciled at once only when no other buy of the pair is unresolved (D9).
      const sold = Boolean(fault.afterSuccess) && inStock;
      const others = this.intents.some((i) => i.service === service && i.country === country);
      if (!sold || others || fault.listActiveFails) {
        this.intents.push({ service, country, startedAt: this.now, nextAttemptAt: this.now + RECONCILE_AFTER_MS, attempts: 0 });
        return { ok: false, code: 'UPSTREAM_UNAVAILABLE' };
      }
    } else if (!inStock) return { ok: false, code: 'NO_NUMBERS' };

    if (!observed.ok || !observed.id || !observed.activationId) return { ok: true, status: 'WAITING' };
    this.balances[user]! -= price;
    this.orders.push({
      id: observed.id,
      activationId: observed.activationId,
      user,
      service,
      country,
      status: 'WAITING',
      chargedCents: price,
      createdAt: this.now,
      expiresAt: this.now + WINDOW_MS,
      smsCount: 0,
      pending: [],
      lastSyncAt: -Infinity,
    });
    return { ok: true, status: 'WAITING', id: observed.id };
  }

  get(user: number, id: string, fault?: SyncFault): Outcome {
    const o = this.owned(user, id);
    if (!o) return { ok: false, code: 'NOT_FOUND' };
    this.refresh(o, fault);
    return { ok: true, status: o.status };
  }

  cancel(user: number, id: string): Outcome {
    const o = this.owned(user, id);
    if (!o) return { ok: false, code: 'NOT_FOUND' };
    this.expireIfDue(o);
    if (o.status === 'WAITING' && o.smsCount === 0) {
      o.status = 'CANCELLED';
      this.balances[o.user]! += o.chargedCents;
      return { ok: true, status: 'CANCELLED' };
    }
    return { ok: false, code: isLive(o) ? 'CODE_RECEIVED' : 'ALREADY_CHANGED' };
  }

  nextSms(user: number, id: string): Outcome {
    const o = this.owned(user, id);
    if (!o) return { ok: false, code: 'NOT_FOUND' };
    this.expireIfDue(o);
    if (o.status !== 'RECEIVED') return { ok: false, code: 'BAD_STATUS' };
    o.status = 'WAITING';
    return { ok: true, status: 'WAITING' };
  }

  topUp(user: number, cents: number): void {
    this.balances[user]! += cents;
  }

  // ------------------------------------------------------------------ the world moving

  /**
   * An SMS the upstream was handed for this order's number. For a live order the upstream must
   * take it exactly while the activation's lifetime lasts; returns whether it must, or undefined
   * when the model does not say (the order is over and the upstream may already be told).
   */
  deliver(o: ModelOrder, accepted: boolean): boolean | undefined {
    if (!isLive(o)) return undefined;
    if (accepted && this.now <= o.expiresAt) o.pending.push(this.now);
    return this.now < o.createdAt + LIFETIME_MS;
  }

  advance(ms: number): void {
    this.now += ms;
  }

  /** engine.tick(): expire due orders after a last sync, sync stale live ones, reconcile intents. */
  tick(faults: TickFaults = {}): void {
    for (const o of this.orders.filter((x) => isLive(x) && x.expiresAt <= this.now)) {
      this.refresh(o, faults.getStatus);
      this.expireIfDue(o);
    }
    for (const o of this.orders) if (isLive(o) && this.now - o.lastSyncAt >= SYNC_INTERVAL_MS) this.refresh(o, faults.getStatus);

    const due = this.intents
      .filter((i) => i.nextAttemptAt <= this.now)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
      .slice(0, 50);
    for (const i of due) {
      if (!faults.listActive) {
        const inFlight =
          this.sharedDatabase &&
          this.intents.some(
            (j) => j !== i && j.service === i.service && j.country === i.country && j.startedAt > this.now - RECONCILE_AFTER_MS,
          );
        if (inFlight) i.nextAttemptAt = this.now + IN_FLIGHT_RECHECK_MS;
        else this.intents.splice(this.intents.indexOf(i), 1);
        continue;
      }
      i.attempts += 1;
      if (i.attempts >= MAX_RECONCILE_ATTEMPTS) this.intents.splice(this.intents.indexOf(i), 1);
      else i.nextAttemptAt = this.now + Math.min(RECONCILE_AFTER_MS * 2 ** i.attempts, 60 * 60_000);
    }
  }

  // ------------------------------------------------------------------ rules

  private owned(user: number, id: string): ModelOrder | undefined {
    const o = this.orders.find((x) => x.id === id);
    return o && o.user === user ? o : undefined;
  }

  /** GET syncs with the upstream at most once per interval (D11); otherwise it only expires. */
  private refresh(o: ModelOrder, fault: SyncFault): void {
    if (!isLive(o)) return;
    if (this.now - o.lastSyncAt < SYNC_INTERVAL_MS) {
      this.expireIfDue(o);
      return;
    }
    o.lastSyncAt = this.now;
    let closed = fault === 'closed';
    if (fault === undefined) {
      for (const _ of o.pending) {
        o.smsCount += 1;
        o.status = 'RECEIVED';
      }
      o.pending = [];
      closed = this.now >= o.createdAt + LIFETIME_MS;
    }
    if (closed) this.end(o);
    this.expireIfDue(o);
  }

  private expireIfDue(o: ModelOrder): void {
    if (isLive(o) && this.now >= o.expiresAt) this.end(o);
  }

  /** D6: after an SMS the order completes with no refund; with none it fails, refunded in full. */
  private end(o: ModelOrder): void {
    if (!isLive(o)) return;
    if (o.smsCount > 0) o.status = 'COMPLETED';
    else {
      o.status = 'FAILED';
      this.balances[o.user]! += o.chargedCents;
    }
  }
}

function buyErrorCode(kind: UpstreamErrorKind): string {
  if (kind === 'NO_NUMBERS' || kind === 'BAD_SERVICE' || kind === 'BAD_COUNTRY') return kind;
  return 'UPSTREAM_UNAVAILABLE';
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return a.ok === b.ok && (a.ok ? a.status === (b as typeof a).status : a.code === (b as typeof a).code);
}

export function describeOutcome(o: Outcome): string {
  return o.ok ? `ok ${o.status}` : o.code;
}
