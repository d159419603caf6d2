/**
 * The public order representation (docs/decisions.md D18), written once and used by create, get, list
 * and idempotent replays.
 */
import { centsToWire } from '../money/money.js';
import type { Order } from './order.js';
import { extractCode } from './sms-code.js';

export interface PublicOrder {
  id: string;
  status: Order['status'];
  service: string;
  country: string;
  phone: string;
  expiresAt: string;
  chargedCents: string;
  createdAt: string;
  updatedAt: string;
  smsBody: string | null;
  smsCode: string | null;
  smsHistory: Array<{ body: string; receivedAt: string }>;
  smsReceivedAt: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function presentOrder(o: Order): PublicOrder {
  const last = o.smsHistory.at(-1);
  return {
    id: o.id,
    status: o.status,
    service: o.service,
    country: String(o.country),
    phone: o.phone,
    expiresAt: iso(o.expiresAt),
    chargedCents: centsToWire(o.chargedCents),
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
    smsBody: last?.body ?? null,
    smsCode: last ? (last.code ?? extractCode(last.body)) : null,
    smsHistory: o.smsHistory.map((s) => ({ body: s.body, receivedAt: iso(s.receivedAt) })),
    smsReceivedAt: last ? iso(last.receivedAt) : null,
  };
}

/**
 * Serialized answers to GET /orders/:id, reused while the order does not change: polled orders
 * repeat. One per engine — never shared, since two engines (simulators side by side) may hold
 * orders with the same id.
 */
export function createOrderJsonCache(max = 10_000): (o: Order) => string {
  const serialized = new Map<string, string>();
  return (o) => {
    const key = `${o.id}|${o.updatedAt}|${o.status}|${o.smsHistory.length}|${o.smsHistory.at(-1)?.key ?? ''}`;
    let text = serialized.get(key);
    if (text === undefined) {
      text = JSON.stringify({ ok: true, data: presentOrder(o) });
      if (serialized.size >= max) serialized.clear();
      serialized.set(key, text);
    }
    return text;
  };
}
