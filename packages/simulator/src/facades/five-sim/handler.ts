/**
 * The 5sim facade: `/v1/user/…` (bearer token) and `/v1/guest/…` served from the fake upstream,
 * with 5sim's order objects, statuses, lowercase error texts and non-200 status codes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatMicros, UpstreamError } from '@jiema/core';
import type { SimActivation } from '../../fake-upstream.js';
import { peerAddress, sendFault, type FacadeContext } from '../mount.js';
import { FAKE_OPERATOR, FIVESIM_ERRORS, nameMaps, type FiveSimStatus, type NameMaps } from './protocol.js';

class FiveSimError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text);
  }
}

const mapsCache = new WeakMap<object, NameMaps>();

export async function handleFiveSim(req: IncomingMessage, res: ServerResponse, ctx: FacadeContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // ['v1', 'user', ...]
  try {
    if (req.method !== 'GET') throw new FiveSimError(405, 'method not allowed');
    let maps = mapsCache.get(ctx.world);
    if (!maps) {
      maps = nameMaps(ctx.world.fixture);
      mapsCache.set(ctx.world, maps);
    }
    const body =
      parts[1] === 'guest' ? await guest(parts.slice(2), url.searchParams, ctx, maps) : await user(req, parts.slice(2), ctx, maps);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  } catch (err) {
    if (sendFault(res, err)) return;
    const e = err instanceof FiveSimError ? err : err instanceof UpstreamError ? fromUpstream(err) : undefined;
    if (!e) throw err;
    res.writeHead(e.status, { 'content-type': 'text/plain; charset=utf-8' }).end(e.text);
  }
}

function fromUpstream(err: UpstreamError): FiveSimError {
  switch (err.kind) {
    case 'NO_NUMBERS':
      return new FiveSimError(400, FIVESIM_ERRORS.noFreePhones);
    case 'NO_BALANCE':
      return new FiveSimError(400, FIVESIM_ERRORS.notEnoughBalance);
    case 'BAD_COUNTRY':
      return new FiveSimError(400, FIVESIM_ERRORS.badCountry);
    case 'BAD_SERVICE':
      return new FiveSimError(400, FIVESIM_ERRORS.noProduct);
    case 'NO_ACTIVATION':
      return new FiveSimError(404, FIVESIM_ERRORS.orderNotFound);
    case 'CODE_RECEIVED':
      return new FiveSimError(400, FIVESIM_ERRORS.orderHasSms);
    case 'EARLY_CANCEL_DENIED':
      return new FiveSimError(400, FIVESIM_ERRORS.waitTime);
    case 'AUTH':
      return new FiveSimError(401, 'Unauthorized');
    case 'BAD_STATUS':
      return new FiveSimError(400, FIVESIM_ERRORS.orderExpired);
    default:
      return new FiveSimError(503, FIVESIM_ERRORS.serverOffline);
  }
}

function status(a: SimActivation): FiveSimStatus {
  if (a.state !== 'CLOSED') return 'RECEIVED';
  return ({ cancelled: 'CANCELED', finished: 'FINISHED', expired: 'TIMEOUT', banned: 'BANNED' } as const)[a.closedReason ?? 'expired'];
}

function order(a: SimActivation, maps: NameMaps) {
  return {
    id: Number(a.id),
    phone: `+${a.phone}`,
    operator: FAKE_OPERATOR,
    product: maps.productByService.get(a.service) ?? a.service,
    price: Number(formatMicros(a.costMicros)),
    status: status(a),
    expires: new Date(a.startedAt + a.behaviour.lifetimeMs).toISOString(),
    sms: a.messages.map((m) => ({
      created_at: new Date(m.receivedAt ?? a.startedAt).toISOString(),
      date: new Date(m.receivedAt ?? a.startedAt).toISOString(),
      sender: maps.productByService.get(a.service) ?? a.service,
      text: m.text,
      code: m.code ?? '',
    })),
    created_at: new Date(a.startedAt).toISOString(),
    forwarding: false,
    forwarding_number: '',
    country: maps.nameByCountry.get(a.country) ?? String(a.country),
  };
}

async function user(req: IncomingMessage, parts: string[], ctx: FacadeContext, maps: NameMaps): Promise<unknown> {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const auth = ctx.guard.check(bearer, peerAddress(req));
  if (!auth.ok)
    throw auth.reason === 'throttled'
      ? new FiveSimError(429, 'Too many failed authentication attempts; wait a minute.')
      : new FiveSimError(401, 'Unauthorized');
  const { upstream } = ctx.world;
  const [what, ...rest] = parts;
  const byId = async (id: string | undefined, act?: (id: string) => Promise<void>) => {
    if (!id || !/^\d{1,20}$/.test(id)) throw new FiveSimError(404, FIVESIM_ERRORS.orderNotFound);
    if (act) await act(id);
    else await upstream.getStatus(id);
    return order(upstream.activation(id)!, maps);
  };
  switch (what) {
    case 'profile':
      return {
        id: 1,
        email: 'simulator@example.invalid',
        vendor: '',
        balance: Number((await upstream.getBalance()).amount),
        rating: 96,
        default_country: { name: 'any', iso: 'any', prefix: '' },
        default_operator: { name: 'any' },
        frozen_balance: 0,
        default_forwarding_number: '',
      };
    case 'buy': {
      const [category, countryName, operator, product] = rest;
      if (category !== 'activation' || !countryName || !operator || !product) throw new FiveSimError(400, FIVESIM_ERRORS.noProduct);
      const service = maps.serviceByProduct.get(product) ?? (maps.productByService.has(product) ? product : undefined);
      if (!service) throw new FiveSimError(400, FIVESIM_ERRORS.noProduct);
      if (operator !== 'any' && operator !== FAKE_OPERATOR) throw new FiveSimError(400, FIVESIM_ERRORS.badOperator);
      const country = maps.countryByName.get(countryName);
      if (country === undefined) throw new FiveSimError(400, FIVESIM_ERRORS.badCountry);
      const a = await upstream.buy({ service, country });
      return order(upstream.activation(a.activationId)!, maps);
    }
    case 'check':
      return byId(rest[0]);
    case 'finish':
      return byId(rest[0], (id) => upstream.finish(id));
    case 'cancel':
    case 'ban':
      return byId(rest[0], (id) => upstream.cancel(id));
    case 'orders': {
      const data = upstream.allActivations().map((a) => order(a, maps));
      return { Data: data, ProductNames: [], Statuses: [], Total: data.length };
    }
    default:
      throw new FiveSimError(404, 'not found');
  }
}

async function guest(parts: string[], query: URLSearchParams, ctx: FacadeContext, maps: NameMaps): Promise<unknown> {
  const cat = await ctx.world.upstream.getCatalogue();
  const [what, countryName, operator] = parts;
  switch (what) {
    case 'countries':
      return Object.fromEntries(
        cat.countries.map((c) => [
          maps.nameByCountry.get(c.id)!,
          { iso: {}, prefix: {}, text_en: c.name, text_ru: c.name, [FAKE_OPERATOR]: { activation: 1 } },
        ]),
      );
    case 'prices': {
      const wantCountry = query.get('country');
      const wantProduct = query.get('product');
      const out: Record<string, Record<string, Record<string, { cost: number; count: number; rate: number }>>> = {};
      for (const o of cat.offers) {
        const cn = maps.nameByCountry.get(o.country)!;
        const pn = maps.productByService.get(o.service) ?? o.service;
        if (wantCountry && wantCountry !== cn) continue;
        if (wantProduct && wantProduct !== pn) continue;
        ((out[cn] ??= {})[pn] ??= {})[FAKE_OPERATOR] = { cost: Number(o.cost), count: o.count, rate: 90 };
      }
      return out;
    }
    case 'products': {
      const country = countryName === undefined ? undefined : maps.countryByName.get(countryName);
      if (country === undefined) throw new FiveSimError(400, FIVESIM_ERRORS.badCountry);
      if (operator !== 'any' && operator !== FAKE_OPERATOR) throw new FiveSimError(400, FIVESIM_ERRORS.badOperator);
      return Object.fromEntries(
        cat.offers
          .filter((o) => o.country === country)
          .map((o) => [maps.productByService.get(o.service) ?? o.service, { Category: 'activation', Qty: o.count, Price: Number(o.cost) }]),
      );
    }
    default:
      throw new FiveSimError(404, 'not found');
  }
}
