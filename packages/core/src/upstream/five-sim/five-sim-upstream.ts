/**
 * The Upstream port over 5sim's REST API (bearer token; countries and products by name, mapped
 * onto the engine's ids and codes by `FiveSimNames`). 5sim keeps delivering SMS to an open
 * order, so a next-SMS request is local: the adapter remembers how many SMS the order had
 * when it was asked, and shows the order as WAITING until a newer one arrives.
 */
import { loadCatalogueFixture, type CatalogueFixture } from '../../catalogue/catalogue-fixture.js';
import type { z } from 'zod';
import { buildHttpUpstream, type HttpUpstreamOptions, type HttpUpstreamParts } from '../http-upstream-options.js';
import type {
  Activation,
  ActivationStatus,
  ActiveActivation,
  Upstream,
  UpstreamCatalogue,
  UpstreamHealth,
  UpstreamSms,
} from '../upstream.js';
import type { BreakerState } from '../circuit-breaker.js';
import { UpstreamError } from '../upstream-error.js';
import { decimalFromWire, idFromWire, messageKey, phoneFromWire } from '../wire-values.js';
import { FiveSimNames, readCatalogue, type FiveSimNameOverrides } from './catalogue.js';
import { parseReply, type FiveSimReply } from './parse.js';
import {
  ACCEPT_JSON,
  bearer,
  CLOSED_STATUSES,
  CountriesSchema,
  DEFAULT_BASE_URL,
  HEADER,
  OPEN_STATUSES,
  ORDERS_PAGE_SIZE,
  OrderSchema,
  OrdersPageSchema,
  PricesSchema,
  ProfileSchema,
  ROUTE,
  type FiveSimOrder,
} from './protocol.js';

export interface FiveSimUpstreamOptions extends Omit<HttpUpstreamOptions, 'baseUrl'> {
  /** Default `https://5sim.net/v1`. */
  baseUrl?: string;
  /** Where the default name mapping comes from. Default: the catalogue shipped in @jiema/core (data/catalogue.json). */
  fixture?: Pick<CatalogueFixture, 'countries' | 'services'>;
  /** 5sim names the default mapping gets wrong or lacks. */
  names?: FiveSimNameOverrides;
  /** How long a 5sim order lives (15 min); listActive reads the order history back twice as far. */
  lifetimeMs?: number;
}

/** At most this many pages of the order history are read for listActive. */
const MAX_ORDER_PAGES = 10;
/** At most this many next-SMS markers are kept; the oldest go first. */
const MAX_MARKERS = 10_000;

export class FiveSimUpstream implements Upstream {
  readonly name = '5sim';
  readonly costUnit: string;
  readonly names: FiveSimNames;
  private readonly p: HttpUpstreamParts;
  private readonly lifetimeMs: number;
  /** Per open order: how many SMS it had when the next one was asked for. */
  private readonly followed = new Map<string, number>();

  constructor(private readonly options: FiveSimUpstreamOptions) {
    this.p = buildHttpUpstream(this.name, { ...options, baseUrl: options.baseUrl ?? DEFAULT_BASE_URL });
    this.costUnit = this.p.costUnit;
    this.names = new FiveSimNames(options.fixture ?? loadCatalogueFixture(), options.names);
    this.lifetimeMs = options.lifetimeMs ?? 15 * 60_000;
  }

  health(): UpstreamHealth {
    return this.p.guard.health();
  }

  circuitState(): BreakerState {
    return this.p.guard.circuitState();
  }

  close(): Promise<void> {
    return this.p.http.close();
  }

  private async send(path: string, timeoutMs = this.p.timeoutMs): Promise<FiveSimReply> {
    const res = await this.p.http.get({
      path,
      timeoutMs,
      headers: { [HEADER.authorization]: bearer(this.options.apiKey), [HEADER.accept]: ACCEPT_JSON },
    });
    return parseReply(this.p.http.mask(res.body), res.status);
  }

  /** One GET whose JSON must match `schema`; refusals reject as their kinds, anything unreadable as PROTOCOL or UNAVAILABLE. */
  private async get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
    const reply = await this.send(path);
    if (reply.kind === 'error') throw reply.error;
    return shaped(schema, reply.value, path);
  }

  getCatalogue(): Promise<UpstreamCatalogue> {
    return this.p.guard.run('getCatalogue', 'read', async () => {
      const countries = await this.get(ROUTE.countries(), CountriesSchema);
      const prices = await this.get(ROUTE.prices(), PricesSchema);
      return readCatalogue(countries, prices, this.names);
    });
  }

  getBalance(): Promise<{ amount: string }> {
    return this.p.guard.run('getBalance', 'read', async () => {
      const { balance } = await this.get(ROUTE.profile(), ProfileSchema);
      const amount = decimalFromWire(balance);
      if (amount === undefined) throw new UpstreamError('PROTOCOL', 'the balance is not a decimal', { raw: String(balance) });
      return { amount };
    });
  }

  async buy(request: { service: string; country: number }): Promise<Activation> {
    const product = this.names.product(request.service);
    if (product === undefined) throw new UpstreamError('BAD_SERVICE', `no 5sim product is mapped to service ${request.service}`);
    const country = this.names.countryName(request.country);
    if (country === undefined) throw new UpstreamError('BAD_COUNTRY', `no 5sim country is mapped to id ${request.country}`);
    return this.p.guard.run('buy', 'buy', async () => {
      const reply = await this.send(ROUTE.buy(country, product), this.p.buyTimeoutMs);
      if (reply.kind === 'error' && reply.known) throw reply.error;
      const order = reply.kind === 'json' ? OrderSchema.safeParse(reply.value) : undefined;
      if (!order?.success) {
        // A reply that cannot be read leaves the sale unknown: the engine reconciles.
        const why =
          reply.kind === 'error'
            ? reply.error
            : new UpstreamError('PROTOCOL', 'not an order', { raw: JSON.stringify(reply.value).slice(0, 2_000) });
        throw new UpstreamError('TIMEOUT', `the buy's outcome is unknown (${why.message}); reconcile before buying again`, {
          raw: why.raw ?? '',
        });
      }
      const activationId = idFromWire(order.data.id);
      const phone = phoneFromWire(order.data.phone);
      if (!activationId || !phone)
        throw new UpstreamError('TIMEOUT', "the buy's outcome is unknown (no order id or phone)", {
          raw: JSON.stringify(order.data).slice(0, 2_000),
        });
      return { activationId, phone };
    });
  }

  getStatus(activationId: string): Promise<ActivationStatus> {
    return this.p.guard.run('getStatus', 'read', async () =>
      this.statusOf(activationId, await this.get(ROUTE.check(activationId), OrderSchema)),
    );
  }

  private statusOf(activationId: string, order: FiveSimOrder): ActivationStatus {
    const messages = (order.sms ?? []).map((m) => toSms(activationId, m)).filter((m): m is UpstreamSms => m !== undefined);
    if (CLOSED_STATUSES.has(order.status)) {
      this.followed.delete(activationId);
      return { state: 'CLOSED', messages };
    }
    if (!OPEN_STATUSES.has(order.status)) throw new UpstreamError('PROTOCOL', `an unknown order status`, { raw: order.status });
    return { state: messages.length > (this.followed.get(activationId) ?? 0) ? 'RECEIVED' : 'WAITING', messages };
  }

  requestNextSms(activationId: string): Promise<void> {
    return this.p.guard.run('requestNextSms', 'command', async () => {
      const status = this.statusOf(activationId, await this.get(ROUTE.check(activationId), OrderSchema));
      if (status.state === 'CLOSED') throw new UpstreamError('NO_ACTIVATION', 'the order is closed');
      if (status.state !== 'RECEIVED') throw new UpstreamError('BAD_STATUS', 'no SMS to follow up yet');
      this.followed.delete(activationId);
      this.followed.set(activationId, status.messages.length);
      if (this.followed.size > MAX_MARKERS) this.followed.delete(this.followed.keys().next().value!);
    });
  }

  finish(activationId: string): Promise<void> {
    return this.p.guard.run('finish', 'command', async () => {
      await this.get(ROUTE.finish(activationId), OrderSchema);
      this.followed.delete(activationId);
    });
  }

  cancel(activationId: string): Promise<void> {
    return this.p.guard.run('cancel', 'command', async () => {
      await this.get(ROUTE.cancel(activationId), OrderSchema);
      this.followed.delete(activationId);
    });
  }

  listActive(): Promise<ActiveActivation[]> {
    return this.p.guard.run('listActive', 'read', async () => {
      const horizon = this.options.clock.now() - 2 * this.lifetimeMs;
      const found = new Map<string, ActiveActivation>();
      for (let page = 0; page < MAX_ORDER_PAGES; page++) {
        const orders = (await this.get(ROUTE.orders(ORDERS_PAGE_SIZE, page * ORDERS_PAGE_SIZE), OrdersPageSchema)).Data ?? [];
        for (const o of orders) {
          const activationId = idFromWire(o.id);
          const phone = phoneFromWire(o.phone);
          const service = this.names.service(o.product);
          const country = this.names.countryId(o.country);
          if (!OPEN_STATUSES.has(o.status) || !activationId || !phone || service === undefined || country === undefined) continue;
          found.set(activationId, { activationId, phone, service, country, startedAt: timeOf(o.created_at) });
        }
        // Newest first: once a page reaches back past any order that could still be open, stop.
        const oldest = Math.min(...orders.map((o) => timeOf(o.created_at) ?? Infinity));
        if (orders.length < ORDERS_PAGE_SIZE || oldest < horizon) break;
      }
      return [...found.values()];
    });
  }
}

function shaped<S extends z.ZodType>(schema: S, value: unknown, path: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new UpstreamError('PROTOCOL', `${path.split('?')[0]} does not have the documented shape`, {
      raw: JSON.stringify(value).slice(0, 2_000),
    });
  return parsed.data;
}

function timeOf(text: string | null | undefined): number | null {
  const t = text ? Date.parse(text) : NaN;
  return Number.isFinite(t) ? t : null;
}

function toSms(activationId: string, m: NonNullable<FiveSimOrder['sms']>[number]): UpstreamSms | undefined {
  const code = m.code === undefined || m.code === null || String(m.code).trim() === '' ? null : String(m.code).trim();
  const text = m.text?.trim() || code;
  if (!text) return undefined;
  const when = m.date ?? m.created_at ?? '';
  return { key: messageKey(activationId, when, text), text, code, receivedAt: timeOf(when) };
}
