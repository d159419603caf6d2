// Builds a database for the scale benchmark: `users` users and `orders` orders (all finished,
// with their ledger rows), one bench user holding `mine` of them with a real API key.
// Prints {apiKey, userId, orderId, page500Cursor}.
// Usage: node build-db.mjs <db-file> <users> <orders> <mine>
import { createEngine, cryptoRng, ManualClock, openDatabase } from '../../packages/core/dist/index.js';
// An internal of core's (not in its public API, docs/decisions.md D155): repository tools may reach into dist.
import { createIdGenerator } from '../../packages/core/dist/ports/ids.js';
import { writeTx } from '../../packages/core/dist/storage/database.js';

const [file, usersArg, ordersArg, mineArg] = process.argv.slice(2);
const users = Number(usersArg);
const orders = Number(ordersArg);
const mine = Number(mineArg);
const db = openDatabase({ path: file, synchronous: 'OFF' });
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const none = () => Promise.reject(new Error('unused'));
const engine = createEngine({
  db,
  clock,
  upstream: {
    name: 'none',
    getCatalogue: none,
    getBalance: none,
    buy: none,
    getStatus: none,
    requestNextSms: none,
    finish: none,
    cancel: none,
    listActive: none,
  },
});
const bench = engine.accounts.createUser({ displayName: 'Bench', balanceCents: 0 });
const { apiKey } = engine.accounts.createKey(bench.id, 'bench');
const ids = createIdGenerator(clock, cryptoRng);
const insertUser = db.prepare(
  "INSERT INTO users (id, display_name, lang, referral_code, balance_cents, created_at) VALUES (?, 'User', 'en', ?, ?, ?)",
);
const insertOrder = db.prepare(
  `INSERT INTO orders (id, user_id, status, service, country, phone, activation_id, charged_cents, expires_at, created_at, updated_at, sms_history, end_reason)
   VALUES (?, ?, 'COMPLETED', 'tg', 7, '+60123456789', ?, 32, ?, ?, ?, ?, 'expired')`,
);
const insertLedger = db.prepare(
  'INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const sms = JSON.stringify([{ key: 'm1', body: 'Telegram code: 48213', code: '48213', receivedAt: 0 }]);
const userIds = [bench.id];
const balances = new Map([[bench.id, 0]]);
const t0 = performance.now();
writeTx(db, () => {
  for (let i = 1; i < users; i++) {
    const id = ids.next('cl');
    insertUser.run(id, `r${i}`, 0, clock.now());
    userIds.push(id);
    balances.set(id, 0);
  }
});
const myOrders = [];
let n = 0;
while (n < orders) {
  writeTx(db, () => {
    for (let k = 0; k < 50_000 && n < orders; k++, n++) {
      clock.advance(1);
      const userId = n < mine ? bench.id : userIds[1 + (n % (userIds.length - 1))];
      const id = ids.next('ck');
      const now = clock.now();
      // Each order: a top-up to pay for it and its debit, so the ledger stays consistent.
      const bal = balances.get(userId);
      insertLedger.run(ids.next('led'), userId, 'topup', 32, bal + 32, null, 'bench', now);
      insertLedger.run(ids.next('led'), userId, 'order_debit', -32, bal, id, 'tg/7', now);
      insertOrder.run(id, userId, `a${n}`, now + 1_200_000, now, now, sms);
      if (userId === bench.id) myOrders.push(id);
    }
  });
}
db.pragma('wal_checkpoint(TRUNCATE)');
db.exec('ANALYZE');
const newestFirst = myOrders.reverse();
console.log(
  JSON.stringify({
    apiKey,
    userId: bench.id,
    orderId: newestFirst[Math.floor(newestFirst.length / 2)],
    page500Cursor: newestFirst[499 * 20 - 1] ?? null,
    buildSeconds: (performance.now() - t0) / 1000,
  }),
);
db.close();
