/**
 * The SMS-Activate-family facade: `GET|POST /stubs/handler_api.php?api_key=…&action=…` served
 * from the fake upstream. Plain-text tokens and JSON replies as the reference describes them,
 * errors as HTTP 200 ("always200") or status-coded ("status"), armed faults as wire behaviour
 * (HTML 502 pages, hung connections, ERROR_SQL).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatMicros, parseDecimalMicros, smsCode, UpstreamError } from '@jiema/core';
import type { SimActivation } from '../../fake-upstream.js';
import { peerAddress, readBody, sendFault, type FacadeContext } from '../mount.js';
import { CURRENCY_USD, NO_CODE_PAYLOAD, protocolTime, statusFor, tokenFor, TOKENS, type ErrorToken } from './protocol.js';

class Refusal extends Error {
  constructor(readonly token: ErrorToken) {
    super(token);
  }
}

type Reply = string | Record<string, unknown> | unknown[];

export async function handleSmsActivate(req: IncomingMessage, res: ServerResponse, ctx: FacadeContext): Promise<void> {
  const params = new URL(req.url ?? '/', 'http://x').searchParams;
  if (req.method === 'POST') {
    const body = await readBody(req).catch(() => '');
    for (const [k, v] of new URLSearchParams(body)) if (!params.has(k)) params.set(k, v);
  } else if (req.method !== 'GET') {
    return send(res, ctx, new Refusal('BAD_ACTION'));
  }
  const auth = ctx.guard.check(params.get('api_key'), peerAddress(req));
  if (!auth.ok && auth.reason === 'throttled') {
    res.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': String(auth.retryAfterSeconds) }).end('BAD_KEY');
    return;
  }
  if (!auth.ok) return send(res, ctx, new Refusal(auth.reason === 'missing' ? 'NO_KEY' : 'BAD_KEY'));
  try {
    const reply = await answer(params, ctx);
    send(res, ctx, reply);
  } catch (err) {
    if (sendFault(res, err)) return;
    if (err instanceof Refusal) return send(res, ctx, err);
    if (err instanceof UpstreamError) return send(res, ctx, new Refusal(tokenFor(err.kind)));
    throw err;
  }
}

function send(res: ServerResponse, ctx: FacadeContext, reply: Reply | Refusal): void {
  if (reply instanceof Refusal) {
    const status = ctx.mode === 'status' ? statusFor(reply.token) : 200;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(reply.token);
    return;
  }
  if (typeof reply === 'string') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(reply);
  else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
}

const requireId = (params: URLSearchParams): string => {
  const id = params.get('id') ?? '';
  if (!/^\d{1,20}$/.test(id)) throw new Refusal('WRONG_ACTIVATION_ID');
  return id;
};

const requireCountry = (params: URLSearchParams): number => {
  const text = params.get('country') ?? '0';
  if (!/^\d{1,6}$/.test(text)) throw new Refusal('BAD_COUNTRY');
  return Number(text);
};

function latest(a: SimActivation) {
  return a.messages.at(-1);
}

async function answer(params: URLSearchParams, ctx: FacadeContext): Promise<Reply> {
  const { upstream, clock } = ctx.world;
  const action = params.get('action') ?? '';
  switch (action) {
    case 'getBalance':
      return `${TOKENS.balance}:${(await upstream.getBalance()).amount}`;

    case 'getNumber':
    case 'getNumberV2': {
      const service = params.get('service');
      if (!service) throw new Refusal('BAD_SERVICE');
      const country = requireCountry(params);
      const maxPrice = params.get('maxPrice');
      if (maxPrice !== null) {
        const cost = upstream.offerCost(service, country);
        let ceiling: bigint;
        try {
          ceiling = parseDecimalMicros(maxPrice);
        } catch {
          throw new Refusal(`WRONG_MAX_PRICE:${cost === undefined ? '0' : formatMicros(cost)}`);
        }
        if (cost !== undefined && ceiling < cost) throw new Refusal(`WRONG_MAX_PRICE:${formatMicros(cost)}`);
      }
      const a = await upstream.buy({ service, country });
      if (action === 'getNumber') return `${TOKENS.number}:${a.activationId}:${a.phone}`;
      const sim = upstream.activation(a.activationId)!;
      return {
        activationId: Number(a.activationId),
        phoneNumber: a.phone,
        activationCost: Number(formatMicros(sim.costMicros)),
        currency: CURRENCY_USD,
        countryCode: String(country),
        canGetAnotherSms: '1',
        activationTime: protocolTime(sim.startedAt),
        activationOperator: 'any',
      };
    }

    case 'getStatus': {
      const id = requireId(params);
      await upstream.getStatus(id);
      const a = upstream.activation(id)!;
      if (a.state === 'CLOSED') return TOKENS.statusCancel;
      if (a.state === 'RECEIVED') {
        // The payload is the extracted code (the protocol reference), by the project's one extractor.
        const m = latest(a)!;
        return `${TOKENS.ok}:${smsCode(m.code, m.text) ?? NO_CODE_PAYLOAD}`;
      }
      return a.retryOf !== null ? `${TOKENS.waitRetry}:${a.retryOf}` : TOKENS.waitCode;
    }

    case 'getStatusV2': {
      const id = requireId(params);
      await upstream.getStatus(id);
      const a = upstream.activation(id)!;
      if (a.state === 'CLOSED') return TOKENS.statusCancel;
      const m = latest(a);
      return {
        verificationType: 0,
        sms: m ? { dateTime: protocolTime(m.receivedAt ?? clock.now()), code: smsCode(m.code, m.text) ?? '', text: m.text } : null,
        call: null,
      };
    }

    case 'getFullSms': {
      const id = requireId(params);
      await upstream.getStatus(id);
      const a = upstream.activation(id)!;
      if (a.state === 'CLOSED') return TOKENS.statusCancel;
      const m = latest(a);
      return a.state === 'RECEIVED' && m ? `FULL_SMS:${m.text}` : TOKENS.waitCode;
    }

    case 'setStatus': {
      const id = requireId(params);
      const status = params.get('status');
      if (status === '1') {
        await upstream.getStatus(id);
        return TOKENS.ready;
      }
      if (status === '3') {
        await upstream.requestNextSms(id);
        return TOKENS.retryGet;
      }
      if (status === '6') {
        await upstream.finish(id);
        return TOKENS.activation;
      }
      if (status === '8' || status === '-1') {
        await upstream.cancel(id);
        return TOKENS.cancel;
      }
      throw new Refusal('BAD_STATUS');
    }

    case 'getActiveActivations': {
      const start = Math.max(0, Number(params.get('start') ?? 0) || 0);
      const limit = Math.min(100, Math.max(1, Number(params.get('limit') ?? 100) || 100));
      const active = (await upstream.listActive()).slice(start, start + limit);
      if (active.length === 0) return { status: 'error', error: 'NO_ACTIVATIONS' };
      return {
        status: 'success',
        activeActivations: active.map((x) => {
          const a = upstream.activation(x.activationId)!;
          const m = latest(a);
          return {
            activationId: a.id,
            serviceCode: a.service,
            phoneNumber: a.phone,
            activationCost: formatMicros(a.costMicros),
            activationStatus: a.state === 'RECEIVED' ? '2' : a.retryOf !== null ? '3' : '4',
            smsCode: m?.code ? [m.code] : null,
            smsText: m ? [m.text] : null,
            activationTime: protocolTime(a.startedAt),
            discount: '0',
            repeated: '0',
            countryCode: String(a.country),
            countryName: upstream.countryName(a.country) ?? String(a.country),
            canGetAnotherSms: '1',
            currency: CURRENCY_USD,
          };
        }),
      };
    }

    case 'getCountries': {
      const cat = await upstream.getCatalogue();
      return Object.fromEntries(
        cat.countries.map((c) => [
          String(c.id),
          { id: c.id, rus: c.name, eng: c.name, chn: c.name, visible: 1, retry: 1, rent: 0, multiService: 1 },
        ]),
      );
    }

    case 'getServicesList': {
      const cat = await upstream.getCatalogue();
      return { status: 'success', services: cat.services.map((s) => ({ code: s.code, name: s.name })) };
    }

    case 'getPrices': {
      const cat = await upstream.getCatalogue();
      const service = params.get('service');
      const country = params.get('country');
      if (service && !cat.services.some((s) => s.code === service)) return { status: 'false', msg: 'service is incorrect' };
      if (country && !cat.countries.some((c) => String(c.id) === country)) return { status: 'false', msg: 'country is incorrect' };
      const out: Record<string, Record<string, { cost: number; count: number; physicalCount: number }>> = {};
      for (const o of cat.offers) {
        if (service && o.service !== service) continue;
        if (country && String(o.country) !== country) continue;
        (out[String(o.country)] ??= {})[o.service] = { cost: Number(o.cost), count: o.count, physicalCount: o.count };
      }
      return out;
    }

    case 'getNumbersStatus': {
      const country = requireCountry(params);
      const cat = await upstream.getCatalogue();
      return Object.fromEntries(cat.offers.filter((o) => o.country === country).map((o) => [`${o.service}_0`, o.count]));
    }

    default:
      throw new Refusal('BAD_ACTION');
  }
}
