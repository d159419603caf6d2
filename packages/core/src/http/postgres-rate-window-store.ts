/**
 * The rate windows of every instance on one PostgreSQL schema (docs/decisions.md D129), in the
 * table rate_windows: exact under small limits, bounded and leased under large ones (see
 * rate-window-store.ts for the store's contract).
 */
import type { Db } from '../storage/database.js';
import { PRUNE_EVERY, type RateWindowState, type RateWindowStore } from './rate-window-store.js';

/**
 * Up to this limit a key's window on PostgreSQL is exact: one statement a hit, one entry a hit, as
 * in memory. Such a key is hit at most this often a window on average, so the round trip is cheap
 * and the array small. Above it the window is bounded and hits are leased (below).
 */
export const EXACT_UP_TO = 600;
/** Above EXACT_UP_TO, a window keeps about this many entries: hits within windowMs / this of the newest share its entry. */
const ENTRIES_PER_WINDOW = 600;
/** How long a lease's hits may be used, at most (ms of the caller's clock); at most a tenth of the window. */
const LEASE_MS = 200;
/** The most hits one lease takes. */
const LEASE_MAX = 4096;
/** A lease takes at most this fraction of the room left in the window (1 / n), and always 1 when that rounds to 0. */
const LEASE_SHARE = 16;

/** The statement's parameters, each cast once so PostgreSQL infers one type for each. */
const PARAMS =
  'SELECT CAST(@now AS bigint) AS now, CAST(@windowMs AS bigint) AS win, CAST(@limit AS bigint) AS lim, ' +
  'CAST(@want AS bigint) AS want, CAST(@leaseMs AS bigint) AS lease, CAST(@grain AS bigint) AS grain';

/**
 * Whether an entry at `x` joins the newest entry, at `last` (exact mode, grain 0: only at the same
 * time). Above EXACT_UP_TO: when it is no later (the newest is at most a lease ahead), or in the
 * same grain-aligned slot. The joined entry takes the later time, so it never moves out of its slot
 * and no hit is recorded more than a slot, or a lease, after it happened; new entries are appended
 * only for later slots, so a window holds one entry per slot at most.
 */
const joins = (x: string, last: string) =>
  `((p.grain > 0 AND ((${x}) <= ${last} OR (${x}) / p.grain = ${last} / p.grain)) OR (${x}) = ${last})`;

/** Adds an entry (`x`, `n`) to the arrays `t` and `c` of the lateral `from`: joined to the newest, which takes the later of the two times, or appended. */
function add(from: string, x: string, n: string, when: string): string {
  const len = `cardinality(${from}.t)`;
  const last = `${from}.t[${len}]`;
  return `LATERAL (SELECT
    CASE WHEN NOT (${when}) THEN ${from}.t WHEN ${joins(x, last)} THEN ${from}.t[1:${len} - 1] || greatest(${last}, (${x})) ELSE ${from}.t || (${x}) END AS t,
    CASE WHEN NOT (${when}) THEN ${from}.c WHEN ${joins(x, last)} THEN ${from}.c[1:${len} - 1] || (${from}.c[${len}] + (${n})) ELSE ${from}.c || (${n}) END AS c)`;
}

/**
 * The row after one call, from the row before (`times`, `counts`, `expires`): the entries that left
 * the window are dropped; the call is given n = min(want, room, max(1, room / LEASE_SHARE)) hits
 * (0 when the window is full); the first is recorded at now, the others at now + lease, when they
 * will have been used at the latest.
 */
function after(times: string, counts: string, expires: string): string {
  return `SELECT m2.t, m2.c, g.n,
    CASE WHEN g.n > 0 THEN greatest(${expires}, p.now + p.win + CASE WHEN g.n > 1 THEN p.lease ELSE 0 END) ELSE ${expires} END
  FROM (${PARAMS}) p,
  LATERAL (SELECT coalesce(array_agg(u.t ORDER BY u.i), '{}') AS t, coalesce(array_agg(u.c ORDER BY u.i), '{}') AS c,
      CAST(coalesce(sum(u.c), 0) AS bigint) AS used
    FROM unnest(${times}, ${counts}) WITH ORDINALITY AS u(t, c, i) WHERE u.t > p.now - p.win) k,
  LATERAL (SELECT CASE WHEN k.used >= p.lim THEN 0
    ELSE least(p.want, p.lim - k.used, greatest(1, (p.lim - k.used) / ${LEASE_SHARE})) END AS n) g,
  ${add('k', 'p.now', 'CAST(1 AS bigint)', 'g.n >= 1')} m1,
  ${add('m1', 'p.now + p.lease', 'g.n - 1', 'g.n >= 2')} m2`;
}

/**
 * One call, in one round trip: a hit (want 1) or a lease (want > 1). A new key gets a row; an
 * existing one is rewritten by `after`. ON CONFLICT DO UPDATE locks the row, so concurrent calls on
 * one key, from any instance, are applied one after the other, each on what the previous left.
 * `granted` says how many hits this call was given (RETURNING sees only the new row); `used` counts
 * them. The times come from the instances' clocks; the oldest is the smallest, whatever order they
 * came in.
 */
export const RATE_HIT_SQL = `
INSERT INTO rate_windows AS w (key, times, counts, granted, expires_at)
SELECT @key, a.* FROM (${after("CAST('{}' AS bigint[])", "CAST('{}' AS bigint[])", 'CAST(0 AS bigint)')}) a
ON CONFLICT (key) DO UPDATE SET (times, counts, granted, expires_at) = (${after('w.times', 'w.counts', 'w.expires_at')})
RETURNING granted, (SELECT CAST(coalesce(sum(c), 0) AS bigint) FROM unnest(counts) AS c) AS used,
  (SELECT min(t) FROM unnest(times) AS t) AS oldest`;

const RATE_PEEK_SQL = `
SELECT CAST(coalesce(sum(u.c), 0) AS bigint) AS used, min(u.t) AS oldest
FROM rate_windows w, unnest(w.times, w.counts) AS u(t, c)
WHERE w.key = @key AND u.t > CAST(@cutoff AS bigint)`;

/** The parameters of RATE_HIT_SQL for one call. */
export interface RateHitParams {
  key: string;
  now: number;
  windowMs: number;
  limit: number;
  /** How many hits the call asks for: 1 for a hit alone. */
  want: number;
  /** Where the hits after the first are recorded: now + leaseMs. */
  leaseMs: number;
  /** Entries within this of the newest join it; 0 keeps every hit's own time (exact). */
  grain: number;
}

/** The parameters of one exact hit (a limit of at most EXACT_UP_TO): one hit, its own entry. */
export function exactHit(key: string, now: number, windowMs: number, limit: number): RateHitParams {
  return { key, now, windowMs, limit, want: 1, leaseMs: 0, grain: 0 };
}

interface Row {
  granted?: number;
  used: number;
  oldest: number | null;
}

/** An instance's hits taken from a key's window and not used yet. */
interface Lease {
  /** The window it was taken for: a call with another limit or window asks again. */
  limit: number;
  windowMs: number;
  /** When it was granted, and until when (excluded) its hits may be used. */
  from: number;
  until: number;
  /** How many hits it was given, and how many are left. */
  size: number;
  left: number;
  /** The window's count and oldest time when it was granted, its own hits included. */
  used: number;
  oldest: number | undefined;
  /** How many it asked for. */
  want: number;
  /** When its last hit was used, if it was. */
  usedUpAt?: number;
}

/** The windows of every instance on one PostgreSQL schema (migration 8's rate_windows). */
export class PostgresRateWindowStore implements RateWindowStore {
  private readonly hitStmt;
  private readonly peekStmt;
  private readonly pruneStmt;
  private readonly leases = new Map<string, Lease>();
  private calls = 0;
  /** Statements sent to the database so far (hits, looks and prunes): what leases save. */
  roundTrips = 0;

  constructor(db: Db) {
    this.hitStmt = db.prepare<[RateHitParams], Row>(RATE_HIT_SQL);
    this.peekStmt = db.prepare<[{ key: string; cutoff: number }], Row>(RATE_PEEK_SQL);
    this.pruneStmt = db.prepare<[number]>('DELETE FROM rate_windows WHERE expires_at <= ?');
  }

  hit(key: string, now: number, windowMs: number, limit: number): RateWindowState {
    if (++this.calls % PRUNE_EVERY === 0) this.prune(now);
    if (limit <= EXACT_UP_TO) {
      const r = this.call(exactHit(key, now, windowMs, limit));
      return { allowed: r.granted! > 0, used: r.used, oldest: r.oldest ?? undefined };
    }
    let lease = this.leases.get(key);
    if (lease && this.usable(lease, now, windowMs, limit)) {
      lease.left -= 1;
      if (lease.left === 0) lease.usedUpAt = now;
      return { allowed: true, used: lease.used - lease.left, oldest: lease.oldest };
    }
    const same = lease !== undefined && lease.limit === limit && lease.windowMs === windowMs;
    const grain = Math.max(1, Math.floor(windowMs / ENTRIES_PER_WINDOW));
    // A refusal holds for a grain: a key over its limit does not cost a round trip a request.
    if (same && lease!.size === 0 && now >= lease!.from && now < lease!.from + grain) {
      return { allowed: false, used: lease!.used, oldest: lease!.oldest };
    }
    const want = same ? nextWant(lease!) : 1;
    const leaseMs = Math.min(LEASE_MS, Math.floor(windowMs / 10));
    const r = this.call({ key, now, windowMs, limit, want, leaseMs, grain });
    const size = r.granted!;
    lease = {
      limit,
      windowMs,
      from: now,
      until: now + leaseMs,
      size,
      left: Math.max(0, size - 1),
      used: r.used,
      oldest: r.oldest ?? undefined,
      want,
    };
    this.leases.set(key, lease);
    return { allowed: size > 0, used: lease.used - lease.left, oldest: lease.oldest };
  }

  peek(key: string, now: number, windowMs: number, limit: number): RateWindowState {
    this.roundTrips += 1;
    const r = this.peekStmt.get({ key, cutoff: now - windowMs });
    const lease = this.leases.get(key);
    // This instance's unused hits are counted in the database but are still its to give.
    const mine = lease && this.usable(lease, now, windowMs, limit) ? lease.left : 0;
    const used = Math.max(0, (r?.used ?? 0) - mine);
    return { allowed: mine > 0 || used < limit, used, oldest: r?.oldest ?? undefined };
  }

  prune(now: number): number {
    for (const [key, lease] of this.leases) if (lease.until + lease.windowMs <= now) this.leases.delete(key);
    this.roundTrips += 1;
    return this.pruneStmt.run(now).changes;
  }

  private call(params: RateHitParams): Row {
    this.roundTrips += 1;
    return this.hitStmt.get(params)!;
  }

  private usable(lease: Lease, now: number, windowMs: number, limit: number): boolean {
    return lease.left > 0 && now >= lease.from && now < lease.until && lease.limit === limit && lease.windowMs === windowMs;
  }
}

/**
 * Slow start: the next lease asks for twice the last when the last was used up in the first half of
 * its time, as much when it was used up later, for what was used of it when it lapsed with hits left,
 * and for 1 after a refusal. So a steady rate settles on leases it uses up, and unused hits, which
 * stay counted, are few. The database also caps a lease at a LEASE_SHARE-th of the room left, so near
 * the limit every lease is one hit and the count exact.
 */
function nextWant(last: Lease): number {
  if (last.size === 0) return 1;
  if (last.left > 0) return Math.max(1, last.size - last.left);
  const early = last.usedUpAt === undefined || last.usedUpAt - last.from < (last.until - last.from) / 2;
  return early ? Math.min(LEASE_MAX, last.want * 2) : last.want;
}
