/**
 * What the engine has stored, read through its stores (docs/decisions.md D125): every user's
 * balance and ban, the ledger, the orders, the keys and the pricing rules, each in id order. Two
 * snapshots compare equal when a request changed nothing.
 */
import type { Engine } from '@jiema/core';

const ALL = 1_000_000;
const byId = <T extends { id: string }>(rows: T[]): T[] => rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export function storedState(engine: Engine) {
  const { accounts, ledger, orders, pricingRules } = engine.stores;
  const users = byId(accounts.listUsers(ALL, undefined));
  return {
    users: users.map((u) => ({ id: u.id, balanceCents: u.balanceCents, bannedAt: u.bannedAt })),
    ledger: byId(users.flatMap((u) => ledger.listByUser(u.id, ALL))).map((e) => ({ id: e.id, amountCents: e.amountCents })),
    orders: byId(orders.search({ limit: ALL })).map((o) => ({ id: o.id, status: o.status, updatedAt: o.updatedAt, sms: o.smsHistory })),
    keys: byId(users.flatMap((u) => accounts.listKeys(u.id))).map((k) => ({ id: k.id, revokedAt: k.revokedAt })),
    pricing: pricingRules.list(),
  };
}
