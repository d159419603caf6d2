/**
 * Three `jiema serve --db postgres://…` processes on one schema behave as one server (issue 15,
 * items 3 and 4). One simulator process plays the upstream (its SMS-Activate facade, with about
 * 1 % of upstream calls failing during the traffic); the three servers run the real sms-activate
 * adapter against it. Users, keys and top-ups are made through one server's admin API and used
 * through the others; concurrent cancels of one order through all three refund it once; 200
 * clients spread over the three for 60 s (JIEMA_MULTI_LOAD_SECONDS) lose nothing they were told
 * about and keep the ledger's invariants; a server SIGKILLed mid-traffic loses nothing
 * acknowledged, and the others finish its orders (expiry, upstream commands, buy reconciliation).
 * Every check of money is SQL on the schema, besides the product's own /admin/v1/invariants.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../core/test/postgres.js';
import { REPO, serve, tempDir, type Served } from './helpers.js';

const seconds = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return (Number.isFinite(v) && v > 0 ? v : fallback) * 1000;
};
/** The load phase: the issue asks for 200 clients for 60 s. */
const LOAD_MS = seconds('JIEMA_MULTI_LOAD_SECONDS', 60);
const LOAD_CLIENTS = Number(process.env.JIEMA_MULTI_CLIENTS ?? 200);
/** The crash phase: fewer clients, long enough to kill one server mid-traffic. */
const CRASH_MS = seconds('JIEMA_MULTI_CRASH_SECONDS', 30);
const CRASH_CLIENTS = Number(process.env.JIEMA_MULTI_CRASH_CLIENTS ?? 60);
/** How long the survivors get to finish every order (the window is one minute, plus retries). */
const SETTLE_MS = seconds('JIEMA_MULTI_SETTLE_SECONDS', 240);

const ADMIN = 'jma_multi_instance_admin_token_0123456789';
const UPSTREAM_KEY = 'multi-instance-upstream-key';
/** Offers with a large stock; their order window is cut to one minute below, so expiry happens within the test. */
const OFFERS = [
  { service: 'tg', country: 12 },
  { service: 'dr', country: 52 },
];
const TOP_UP_CENTS = 100_000;

let schema: TestSchema;
let upstream: Served;
const servers: Served[] = [];
let dir: string;

// ---------------------------------------------------------------- HTTP with a tally of every answer

interface Answer {
  /** 0: no HTTP answer (connection refused or reset, or our own timeout). */
  status: number;
  body: any;
  retryAfter?: number;
  transport?: string;
}

const tally = new Map<string, number>();
/** Answers that break the contract: a 500, or a body that is not the spec's envelope. */
const broken: string[] = [];

function count(key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

function isEnvelope(status: number, body: any): boolean {
  if (typeof body !== 'object' || body === null) return false;
  if (body.ok === true) return status >= 200 && status < 300 && 'data' in body;
  return body.ok === false && typeof body.code === 'string' && typeof body.message === 'string' && status >= 400;
}

async function call(
  base: string,
  path: string,
  init: { key?: string; admin?: string; method?: string; body?: unknown; idem?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.admin) headers['x-admin-token'] = init.admin;
  if (init.idem) headers['idempotency-key'] = init.idem;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const what = `${init.method ?? 'GET'} ${path.replace(/\/(orders|users|keys)\/[A-Za-z0-9_]+/g, '/$1/:id').replace(/\?.*/, '')}`;
  let res: Response;
  try {
    res = await fetch(base + path, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      // Longer than the adapter's 30 s buy timeout: a hung upstream call still gets its answer.
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    count(`${what} -> no answer`);
    return { status: 0, body: undefined, transport: String((err as Error).cause ?? err) };
  }
  const text = await res.text().catch(() => '');
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const code = body?.ok === false ? ` ${String(body.code)}` : '';
  count(`${what} -> ${res.status}${code}`);
  if (res.status === 500 || !isEnvelope(res.status, body)) {
    if (broken.length < 50) broken.push(`${what} -> ${res.status} ${text.slice(0, 300)}`);
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return { status: res.status, body, ...(retryAfter > 0 && { retryAfter }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(500);
  }
}

async function inBatches<T, R>(items: readonly T[], size: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map((t, j) => fn(t, i + j)))));
  return out;
}

// ---------------------------------------------------------------- processes

async function stopProcess(s: Served): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = s.stop('SIGTERM');
  const killed = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
  if (killed) {
    s.proc.kill('SIGKILL');
    await exited;
  }
}

function startServer(): Promise<Served> {
  return serve([
    '--upstream',
    'sms-activate',
    '--upstream-url',
    upstream.url,
    '--upstream-key',
    UPSTREAM_KEY,
    '--db',
    schema.url,
    '--admin-token',
    ADMIN,
    '--fixtures',
    join(dir, 'catalogue.json'),
    // Buys whose outcome was lost (a timeout fault, a SIGKILL) are reconciled soon, within the test.
    '--reconcile-after-ms',
    '2000',
    '--no-console',
  ]);
}

const control = (path: string, method = 'GET', body?: unknown) => call(upstream.url, path, { admin: upstream.adminToken, method, body });

beforeAll(async () => {
  dir = tempDir();
  schema = await createTestSchema();
  // Every order gets an SMS in 3–40 s, or (30 %) none: it then expires and is refunded. Cancels are
  // accepted at once by the upstream, so the outbox's cancels go through.
  writeFileSync(
    join(dir, 'behaviour.json'),
    JSON.stringify({
      preset: 'ideal',
      default: { smsDelayMs: { min: 3_000, max: 40_000 }, noSmsProbability: 0.3, earlyCancelHoldMs: 0 },
    }),
  );
  const catalogue = JSON.parse(readFileSync(join(REPO, 'packages/core/data/catalogue.json'), 'utf8')) as {
    services: Array<{ code: string; windowMinutes?: number }>;
  };
  for (const s of catalogue.services) if (OFFERS.some((o) => o.service === s.code)) s.windowMinutes = 1;
  writeFileSync(join(dir, 'catalogue.json'), JSON.stringify(catalogue));
  upstream = await serve([
    '--ephemeral',
    '--clock',
    'real',
    '--behaviour',
    join(dir, 'behaviour.json'),
    '--facade-key',
    UPSTREAM_KEY,
    '--no-console',
  ]);
  // The first server creates the tables; the other two start together on the migrated schema.
  servers.push(await startServer());
  servers.push(...(await Promise.all([startServer(), startServer()])));
}, 90_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => stopProcess(s).catch(() => undefined)));
  // What the servers logged at error level, for whoever reads a failure.
  servers.forEach((s, i) => {
    writeFileSync(join(dir, `server-${i}.log`), s.output().stderr);
    const errors = s
      .output()
      .stderr.split('\n')
      .filter((l) => /"level":(50|60)|"level":"(error|fatal)"/.test(l));
    if (errors.length > 0)
      console.log(
        `server ${i} logged ${errors.length} errors (all its log: ${join(dir, `server-${i}.log`)}), first ones:\n${errors.slice(0, 5).join('\n')}`,
      );
  });
  if (upstream) await stopProcess(upstream).catch(() => undefined);
  await schema?.drop();
  // The tally, for whoever reads the log: how the servers answered.
  console.log(
    'multi-instance answers:\n' +
      [...tally.entries()]
        .sort()
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n'),
  );
}, 60_000);

// ---------------------------------------------------------------- users and the ledger

interface User {
  id: string;
  key: string;
}

/** A user with a key and a top-up, all through server 0's admin API. */
async function makeUser(cents = TOP_UP_CENTS): Promise<User> {
  const admin = servers[0]!.url;
  const u = await call(admin, '/admin/v1/users', { admin: ADMIN, method: 'POST', body: { displayName: 'load' } });
  expect(u.status, JSON.stringify(u.body)).toBe(201);
  const id = u.body.data.id as string;
  const k = await call(admin, `/admin/v1/users/${id}/keys`, { admin: ADMIN, method: 'POST', body: {} });
  expect(k.status, JSON.stringify(k.body)).toBe(201);
  const t = await call(admin, `/admin/v1/users/${id}/balance`, {
    admin: ADMIN,
    method: 'POST',
    body: { amountCents: cents, reason: 'load' },
  });
  expect([200, 201], JSON.stringify(t.body)).toContain(t.status);
  return { id, key: k.body.data.apiKey as string };
}

const sql = async <R = Record<string, unknown>>(text: string, values: unknown[] = []) =>
  (await schema.client.query(text, values)).rows as R[];

/**
 * The ledger's invariants, by SQL: each user's balance is the sum of their rows; each order has
 * exactly one debit of its charge; at most one refund, of the whole charge, and only for an order
 * that ended without a code; an order cancelled or failed without a code is refunded (only once
 * `settled`: a live order may still be between its end and its refund in the same transaction —
 * it never is, but a poll sees only committed rows anyway). Returns the violations.
 */
async function ledgerViolations(): Promise<string[]> {
  const found: string[] = [];
  const add = (what: string, rows: unknown[]) => {
    if (rows.length > 0) found.push(`${what}: ${JSON.stringify(rows.slice(0, 5))} (${rows.length})`);
  };
  add(
    'balance differs from the sum of the ledger',
    await sql(`SELECT u.id, u.balance_cents::text AS balance, COALESCE(SUM(l.amount_cents), 0)::text AS ledger
               FROM users u LEFT JOIN ledger l ON l.user_id = u.id
               GROUP BY u.id, u.balance_cents HAVING u.balance_cents <> COALESCE(SUM(l.amount_cents), 0)`),
  );
  add(
    'an order without exactly one debit of its charge',
    await sql(`SELECT o.id, COUNT(l.id)::int AS debits, COALESCE(SUM(l.amount_cents), 0)::text AS total, o.charged_cents::text AS charged
               FROM orders o LEFT JOIN ledger l ON l.order_id = o.id AND l.kind = 'order_debit'
               GROUP BY o.id, o.charged_cents HAVING COUNT(l.id) <> 1 OR COALESCE(SUM(l.amount_cents), 0) <> -o.charged_cents`),
  );
  add(
    'a debit or refund of no order, or of another user',
    await sql(`SELECT l.id, l.kind, l.order_id FROM ledger l LEFT JOIN orders o ON o.id = l.order_id
               WHERE l.kind IN ('order_debit', 'refund') AND (o.id IS NULL OR o.user_id <> l.user_id)`),
  );
  add(
    'a refund that is not one whole refund of an order ended without a code',
    await sql(`SELECT o.id, o.status, COUNT(*)::int AS refunds, SUM(l.amount_cents)::text AS total, o.charged_cents::text AS charged
               FROM orders o JOIN ledger l ON l.order_id = o.id AND l.kind = 'refund'
               GROUP BY o.id HAVING COUNT(*) <> 1 OR SUM(l.amount_cents) <> o.charged_cents
                 OR o.status NOT IN ('CANCELLED', 'FAILED') OR o.sms_history <> '[]'`),
  );
  add(
    'an order cancelled or failed without a code and not refunded',
    await sql(`SELECT o.id, o.status, o.end_reason FROM orders o
               WHERE o.status IN ('CANCELLED', 'FAILED') AND o.sms_history = '[]' AND o.charged_cents > 0
                 AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.order_id = o.id AND l.kind = 'refund')`),
  );
  const invariants = await call(servers.find((s) => s.proc.exitCode === null && s.proc.signalCode === null)!.url, '/admin/v1/invariants', {
    admin: ADMIN,
  });
  if (invariants.status !== 200 || invariants.body.data.ok !== true) found.push(`/admin/v1/invariants: ${JSON.stringify(invariants.body)}`);
  return found;
}

// ---------------------------------------------------------------- traffic

interface Acked {
  id: string;
  userId: string;
  /** The server that answered the buy. */
  via: number;
  status: string;
}

interface Traffic {
  /** Every order a client was told about (200 with an id). */
  orders: Acked[];
  /** Every cancel a client was told succeeded. */
  cancels: string[];
}

/**
 * One client: buys on its home server, polls the order through any live server every ~2 s, and
 * cancels about half of the orders still waiting; backs off on 429. A buy that got no HTTP
 * answer (its server died) is retried once with the same Idempotency-Key on another server.
 * Orders bought through a server in `abandonVia` are left alone once it dies: only the other
 * servers' background work can finish them.
 */
async function runClient(
  user: User,
  home: number,
  until: number,
  traffic: Traffic,
  alive: () => number[],
  abandonVia: () => number | undefined,
): Promise<void> {
  const live = () => {
    const a = alive();
    return a.includes(home) ? home : pick(a);
  };
  // Spread the clients' first buys over the first seconds.
  await sleep(Math.random() * 3_000);
  while (Date.now() < until) {
    // At most one buy and one cancel every 13 s: under 10 writes a minute per key, the limit even
    // once it is shared by the servers.
    const nextCycle = sleep(Math.max(0, Math.min(13_000, until - Date.now())));
    const via = live();
    const idem = randomUUID();
    const offer = pick(OFFERS);
    let r = await call(servers[via]!.url, '/api/v1/orders', { key: user.key, method: 'POST', body: offer, idem });
    let answeredBy = via;
    if (r.status === 0) {
      // (A replay of an answer the dead server stored is counted as this server's: its order is then touched again.)
      answeredBy = live();
      r = await call(servers[answeredBy]!.url, '/api/v1/orders', { key: user.key, method: 'POST', body: offer, idem });
    }
    if (r.status === 429) {
      await sleep((r.retryAfter ?? 2) * 1000);
      continue;
    }
    if (r.status !== 200) {
      await sleep(1_000);
      continue;
    }
    const order: Acked = { id: r.body.data.id, userId: user.id, via: answeredBy, status: r.body.data.status };
    traffic.orders.push(order);
    const polls = 4 + Math.floor(Math.random() * 4);
    for (let i = 0; i < polls && order.status === 'WAITING'; i++) {
      await sleep(1_500 + Math.random() * 1_000);
      if (abandonVia() === order.via) break;
      const p = await call(servers[pick(alive())]!.url, `/api/v1/orders/${order.id}`, { key: user.key });
      if (p.status === 200) order.status = p.body.data.status;
    }
    if (order.status === 'WAITING' && Math.random() < 0.5 && abandonVia() !== order.via) {
      const c = await call(servers[pick(alive())]!.url, `/api/v1/orders/${order.id}/cancel`, {
        key: user.key,
        method: 'POST',
        idem: randomUUID(),
      });
      if (c.status === 200) {
        expect(c.body.data.status).toBe('CANCELLED');
        traffic.cancels.push(order.id);
      }
    }
    await nextCycle;
  }
}

/** Everything acknowledged is in the database: each order, its user and, for an acknowledged cancel, CANCELLED. */
async function lostAcknowledged(traffic: Traffic): Promise<string[]> {
  const rows = await sql<{ id: string; user_id: string; status: string }>('SELECT id, user_id, status FROM orders WHERE id = ANY($1)', [
    traffic.orders.map((o) => o.id),
  ]);
  const inDb = new Map(rows.map((r) => [r.id, r]));
  const lost: string[] = [];
  for (const o of traffic.orders) {
    const row = inDb.get(o.id);
    if (!row || row.user_id !== o.userId)
      lost.push(`order ${o.id} (bought through server ${o.via}) is ${row ? 'not the buyer’s' : 'missing'}`);
  }
  for (const id of traffic.cancels) if (inDb.get(id)?.status !== 'CANCELLED') lost.push(`cancelled order ${id} is ${inDb.get(id)?.status}`);
  return lost;
}

// ---------------------------------------------------------------- the tests

describe('three jiema serve processes on one PostgreSQL schema', () => {
  it('share users, keys, balances and orders: made through one server, used through the others', async () => {
    const [a, b, c] = servers.map((s) => s.url) as [string, string, string];
    const user = await makeUser(1_000);
    for (const url of [b, c]) {
      const account = await call(url, '/api/v1/account', { key: user.key });
      expect(account.status).toBe(200);
      expect(account.body.data.balanceCents).toBe('1000');
    }
    const bought = await call(b, '/api/v1/orders', { key: user.key, method: 'POST', body: OFFERS[0] });
    expect(bought.status, JSON.stringify(bought.body)).toBe(200);
    const order = bought.body.data;
    const charged = Number(order.chargedCents);
    expect(charged).toBeGreaterThan(0);
    const seen = await call(c, `/api/v1/orders/${order.id}`, { key: user.key });
    expect(seen.body.data).toMatchObject({ id: order.id, phone: order.phone });
    // A top-up through the first server reaches the cached balance of the others.
    await call(a, `/admin/v1/users/${user.id}/balance`, { admin: ADMIN, method: 'POST', body: { amountCents: 500, reason: 'more' } });
    for (const url of [b, c]) {
      await waitFor(
        `the top-up seen through ${url}`,
        async () =>
          (await call(url, '/api/v1/account', { key: user.key })).body.data.balanceCents === String(1_500 - charged) ? true : undefined,
        10_000,
      );
    }
    const ledger = await call(a, `/admin/v1/users/${user.id}/ledger`, { admin: ADMIN });
    expect(ledger.body.data.items.map((e: { kind: string }) => e.kind).sort()).toEqual(['order_debit', 'topup', 'topup']);
  }, 60_000);

  it('refunds an order once when it is cancelled through all three servers at the same time', async () => {
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const user = await makeUser(1_000);
      const bought = await call(servers[round % 3]!.url, '/api/v1/orders', { key: user.key, method: 'POST', body: OFFERS[0] });
      expect(bought.status, JSON.stringify(bought.body)).toBe(200);
      const id = bought.body.data.id as string;
      // Two cancels through each server, sent together.
      const answers = await Promise.all(
        [0, 1, 2, 0, 1, 2].map((i) => call(servers[i]!.url, `/api/v1/orders/${id}/cancel`, { key: user.key, method: 'POST' })),
      );
      for (const r of answers) {
        expect(r.status, JSON.stringify(r.body)).not.toBe(0);
        expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
        expect(isEnvelope(r.status, r.body), JSON.stringify(r.body)).toBe(true);
        if (r.status === 200) expect(r.body.data.status).toBe('CANCELLED');
      }
      expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
      const [row] = await sql<{ status: string; refunds: number }>(
        `SELECT o.status, (SELECT COUNT(*)::int FROM ledger l WHERE l.order_id = o.id AND l.kind = 'refund') AS refunds FROM orders o WHERE o.id = $1`,
        [id],
      );
      expect(row).toEqual({ status: 'CANCELLED', refunds: 1 });
      const [balance] = await sql<{ balance: string }>('SELECT balance_cents::text AS balance FROM users WHERE id = $1', [user.id]);
      expect(balance!.balance).toBe('1000');
      for (const s of servers) {
        const seen = await call(s.url, `/api/v1/orders/${id}`, { key: user.key });
        expect(seen.body.data.status).toBe('CANCELLED');
      }
    }
    expect(await ledgerViolations()).toEqual([]);
  }, 120_000);

  it(
    `serves ${LOAD_CLIENTS} clients spread over the three for ${LOAD_MS / 1000} s with 1 % upstream faults: nothing acknowledged is lost, the ledger holds`,
    async () => {
      const users = await inBatches(
        Array.from({ length: LOAD_CLIENTS }, (_, i) => i),
        20,
        () => makeUser(),
      );
      // About 1 % of the upstream calls fail: errors, unreadable answers, and buys whose answer is
      // lost after the number was sold (hung until the adapter's timeout; reconciliation finds them).
      for (const fault of [
        { kind: 'error', error: 'UNAVAILABLE', probability: 0.005 },
        { kind: 'garbage', probability: 0.003 },
        { kind: 'timeout', method: 'buy', afterSuccess: true, probability: 0.002 },
      ]) {
        expect([200, 201]).toContain((await control('/_sim/v1/faults', 'POST', fault)).status);
      }
      const traffic: Traffic = { orders: [], cancels: [] };
      const until = Date.now() + LOAD_MS;
      const started = Date.now();
      await Promise.all(
        users.map((u, i) =>
          runClient(
            u,
            i % 3,
            until,
            traffic,
            () => [0, 1, 2],
            () => undefined,
          ),
        ),
      );
      const faults = (await control('/_sim/v1/faults')).body.data.items as Array<{ kind: string; fired: number }>;
      console.log(
        `load: ${traffic.orders.length} orders acknowledged, ${traffic.cancels.length} cancels, ${faults.map((f) => `${f.kind} fired ${f.fired}`).join(', ')}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      expect(broken).toEqual([]);
      expect(traffic.orders.length).toBeGreaterThan(LOAD_CLIENTS);
      expect(await lostAcknowledged(traffic)).toEqual([]);
      expect(await ledgerViolations()).toEqual([]);
    },
    LOAD_MS + 240_000,
  );

  it(
    'loses nothing acknowledged when one server is SIGKILLed mid-traffic; the others finish its orders',
    async () => {
      const users = await inBatches(
        Array.from({ length: CRASH_CLIENTS }, (_, i) => i),
        20,
        () => makeUser(),
      );
      const traffic: Traffic = { orders: [], cancels: [] };
      // Which servers clients may use, and whose orders they must leave alone (the killed one's).
      const crash: { alive: number[]; abandoned?: number } = { alive: [0, 1, 2] };
      const until = Date.now() + CRASH_MS;
      const clients = Promise.all(
        users.map((u, i) =>
          runClient(
            u,
            i % 3,
            until,
            traffic,
            () => crash.alive,
            () => crash.abandoned,
          ),
        ),
      );
      // Upstream cancels hang from here (and do nothing): the killed server dies with commands it
      // had started sending still owed in the outbox, which the survivors must send.
      await sleep(CRASH_MS * 0.2);
      expect([200, 201]).toContain(
        (await control('/_sim/v1/faults', 'POST', { kind: 'timeout', method: 'cancel', probability: 1 })).status,
      );
      await sleep(CRASH_MS * 0.2);
      const victim = servers[2]!;
      // From here on nobody touches the orders bought through it: only the survivors' jobs can end them.
      crash.abandoned = 2;
      crash.alive = [0, 1];
      victim.proc.kill('SIGKILL');
      await new Promise((r) => (victim.proc.exitCode !== null || victim.proc.signalCode !== null ? r(null) : victim.proc.once('exit', r)));
      expect(victim.proc.signalCode).toBe('SIGKILL');
      const orphans = traffic.orders.filter((o) => o.via === 2).map((o) => o.id);
      const [atKill] = await sql<{ live: number; owed: number; outbox: number; intents: number }>(
        `SELECT (SELECT COUNT(*)::int FROM orders WHERE id = ANY($1) AND status IN ('WAITING', 'RECEIVED')) AS live,
              (SELECT COUNT(*)::int FROM outbox WHERE done_at IS NULL AND order_id = ANY($1)) AS owed,
              (SELECT COUNT(*)::int FROM outbox WHERE done_at IS NULL) AS outbox,
              (SELECT COUNT(*)::int FROM buy_intents WHERE state = 'pending') AS intents`,
        [orphans],
      );
      await clients;
      expect(broken).toEqual([]);
      expect(orphans.length).toBeGreaterThan(0);
      expect(atKill!.live).toBeGreaterThan(0);

      // The upstream behaves from here on, so retries end; then every order ends, every owed upstream
      // command is sent and every buy is settled, by the two survivors alone.
      await control('/_sim/v1/faults', 'DELETE');
      const settleStarted = Date.now();
      const left = await waitFor(
        'every order ended, the outbox drained and every buy settled',
        async () => {
          const [r] = await sql<{ live: number; orphansLive: number; outbox: number; intents: number }>(
            `SELECT (SELECT COUNT(*)::int FROM orders WHERE status IN ('WAITING', 'RECEIVED')) AS live,
                  (SELECT COUNT(*)::int FROM orders WHERE id = ANY($1) AND status IN ('WAITING', 'RECEIVED')) AS "orphansLive",
                  (SELECT COUNT(*)::int FROM outbox WHERE done_at IS NULL) AS outbox,
                  (SELECT COUNT(*)::int FROM buy_intents WHERE state = 'pending') AS intents`,
            [orphans],
          );
          return r!.live + r!.outbox + r!.intents === 0 ? r : undefined;
        },
        SETTLE_MS,
      );
      const ended = await sql<{ status: string; n: number }>(
        'SELECT status, COUNT(*)::int AS n FROM orders WHERE id = ANY($1) GROUP BY status ORDER BY status',
        [orphans],
      );
      console.log(
        `crash: ${traffic.orders.length} orders acknowledged (${orphans.length} through the killed server, ${atKill!.live} of them live at the kill; ` +
          `${atKill!.owed} commands for them and ${atKill!.outbox} in all owed, and ${atKill!.intents} buys pending then), all settled by the survivors in ${((Date.now() - settleStarted) / 1000).toFixed(0)} s: ${JSON.stringify(ended)} ${JSON.stringify(left)}`,
      );
      expect(await lostAcknowledged(traffic)).toEqual([]);
      expect(await ledgerViolations()).toEqual([]);
      // The owed commands reached the upstream, and every bought number whose buy was never
      // recorded was released: nothing is still live there.
      const upstreamLive = ((await control('/_sim/v1/upstream')).body.data.activations as Array<{ id: string; state: string }>).filter(
        (a) => a.state !== 'CLOSED',
      );
      expect(upstreamLive).toEqual([]);
      // A command that found its activation already closed was sent twice (this simulator closes
      // none by itself, and its error faults never take effect): two servers drained the same row.
      // Until background jobs run once across servers this is only reported; JIEMA_MULTI_JOBS_ONCE=1
      // makes it fail.
      const twice = await sql(`SELECT id, kind, attempts, last_error FROM outbox WHERE outcome = 'already_closed'`);
      console.log(`outbox commands that found their activation already closed (sent twice): ${twice.length}`);
      if (process.env.JIEMA_MULTI_JOBS_ONCE === '1') expect(twice).toEqual([]);
    },
    CRASH_MS + SETTLE_MS + 120_000,
  );
});
