// The baseline for order creation on PostgreSQL: a bare `pg` loop of the same three writes an
// order makes (debit the balance, insert the order, insert the ledger row) in one transaction
// each, on one connection, statements prepared once, synchronous_commit as the server sets it
// (on: each commit waits for its WAL flush). Creates its tables in the URL's schema.
// Prints {tps, transactions, statementsPerTransaction}.
// Usage: node pg-loop.mjs <postgres-url> <seconds>
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const pg = require('pg');
const [url, seconds = '5'] = process.argv.slice(2);
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(`CREATE TABLE IF NOT EXISTS loop_users (id TEXT PRIMARY KEY, balance BIGINT NOT NULL);
  CREATE TABLE IF NOT EXISTS loop_orders (id TEXT PRIMARY KEY, user_id TEXT, status TEXT, charged BIGINT, created_at BIGINT);
  CREATE TABLE IF NOT EXISTS loop_ledger (id TEXT PRIMARY KEY, user_id TEXT, amount BIGINT, order_id TEXT, created_at BIGINT);
  INSERT INTO loop_users VALUES ('u1', 1000000000000) ON CONFLICT DO NOTHING;`);
const debit = { name: 'debit', text: 'UPDATE loop_users SET balance = balance - 32 WHERE id = $1' };
const order = { name: 'order', text: "INSERT INTO loop_orders VALUES ($1, 'u1', 'WAITING', 32, $2)" };
const ledger = { name: 'ledger', text: "INSERT INTO loop_ledger VALUES ($1, 'u1', -32, $2, $3)" };
async function tx(n) {
  await client.query('BEGIN');
  await client.query({ ...debit, values: ['u1'] });
  await client.query({ ...order, values: [`o${n}`, Date.now()] });
  await client.query({ ...ledger, values: [`l${n}`, `o${n}`, Date.now()] });
  await client.query('COMMIT');
}
const end = performance.now() + Number(seconds) * 1000;
let n = 0;
const t0 = performance.now();
while (performance.now() < end) await tx(n++);
console.log(JSON.stringify({ tps: n / ((performance.now() - t0) / 1000), transactions: n, statementsPerTransaction: 5 }));
await client.end();
