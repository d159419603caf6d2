/**
 * Applies a seed file to a jiema database, idempotently: users by `ref` (created, or updated to
 * the file's profile, balance, ban and keys), pricing rules replaced, catalogue overrides stored.
 * Balance changes are ledger rows with the file as their reason.
 */
import { AppError, createEngine, isPostgresUrl, openDatabase, writeCatalogueOverrides, type Upstream } from '@jiema/core';
import { CliError, EXIT } from '../output.js';
import type { SeedFile } from './seed-schema.js';

interface SeedUserResult {
  ref: string;
  id: string;
  created: boolean;
  balanceCents: number;
  balanceChangeCents: number;
  keysAdded: number;
  /** Generated keys, shown once. */
  newKeys: Array<{ name: string; apiKey: string }>;
  banned: boolean;
}

export interface SeedResult {
  users: SeedUserResult[];
  pricingRules: number | null;
  catalogueOverrides: boolean;
}

/** The engine needs an upstream only to sell numbers; seeding never asks it anything. */
const refuse = (): Promise<never> => Promise.reject(new Error('seeding does not use the upstream'));
const noUpstream: Upstream = {
  name: 'none',
  getCatalogue: refuse,
  getBalance: refuse,
  buy: refuse,
  getStatus: refuse,
  requestNextSms: refuse,
  finish: refuse,
  cancel: refuse,
  listActive: refuse,
};

/** Seeds a SQLite file, or a PostgreSQL database given by its URL (where the servers on it see the changes at once). */
export function applySeed(dbPath: string, seed: SeedFile, source: string): SeedResult {
  const engine = createEngine({ upstream: noUpstream, db: isPostgresUrl(dbPath) ? dbPath : openDatabase({ path: dbPath }) });
  try {
    const refs = new Set<string>();
    for (const [i, u] of seed.users.entries()) {
      if (refs.has(u.ref)) throw new CliError(`${source}: users[${i}].ref: "${u.ref}" appears twice.`, EXIT.USAGE);
      refs.add(u.ref);
    }
    const users: SeedUserResult[] = [];
    engine.stores.tx.write(() => {
      for (const u of seed.users) users.push(applyUser(engine, u, source));
      if (seed.pricing) engine.pricing.replaceRules(seed.pricing.rules.map((r) => ({ ...r, floorCents: r.floorCents ?? 1 })));
      if (seed.catalogue) writeCatalogueOverrides(engine.stores.settings, seed.catalogue);
    });
    return { users, pricingRules: seed.pricing ? seed.pricing.rules.length : null, catalogueOverrides: Boolean(seed.catalogue) };
  } catch (err) {
    if (err instanceof AppError) throw new CliError(`${source}: ${err.message}`, EXIT.USAGE);
    throw err;
  } finally {
    engine.close();
  }
}

function applyUser(engine: ReturnType<typeof createEngine>, u: SeedFile['users'][number], source: string): SeedUserResult {
  const { accounts, money } = engine;
  let user = accounts.findByExternalRef(u.ref);
  const created = !user;
  user ??= accounts.createUser({ displayName: u.displayName ?? u.ref, lang: u.lang, externalRef: u.ref });
  if (!created && (u.displayName !== undefined || u.lang !== undefined))
    user = accounts.updateProfile(user.id, { displayName: u.displayName, lang: u.lang });
  let change = 0;
  if (u.balanceCents !== undefined && u.balanceCents !== user.balanceCents) {
    change = u.balanceCents - user.balanceCents;
    money.adjust({ userId: user.id, kind: change > 0 ? 'topup' : 'adjustment', amountCents: change, reason: `seed ${source}` });
  }
  if (u.banned !== undefined && u.banned !== (user.bannedAt !== null)) accounts.setBanned(user.id, u.banned, `seed ${source}`);
  let keysAdded = 0;
  const newKeys: SeedUserResult['newKeys'] = [];
  const existing = accounts.listKeys(user.id);
  for (const k of u.keys ?? []) {
    if (typeof k === 'string') {
      if (accounts.importKey(user.id, k, 'seed')) keysAdded += 1;
    } else if (!existing.some((e) => e.name === k.name && e.revokedAt === null)) {
      newKeys.push({ name: k.name, apiKey: accounts.createKey(user.id, k.name).apiKey });
      keysAdded += 1;
    }
  }
  const final = accounts.requireUser(user.id);
  return {
    ref: u.ref,
    id: final.id,
    created,
    balanceCents: final.balanceCents,
    balanceChangeCents: change,
    keysAdded,
    newKeys,
    banned: final.bannedAt !== null,
  };
}
