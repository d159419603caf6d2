// The physical limit for order creation: a bare better-sqlite3 loop of the same three writes an
// order makes (debit the balance, insert the order, insert the ledger row), one transaction each,
// synchronous=FULL in WAL mode on a file. Prints {tps}.
// Usage: node sqlite-loop.mjs <db-file> <seconds>
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const Database = require('better-sqlite3');
const [file, seconds = '5'] = process.argv.slice(2);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, user_id TEXT, status TEXT, charged INTEGER, created_at INTEGER);
  CREATE TABLE IF NOT EXISTS ledger (id TEXT PRIMARY KEY, user_id TEXT, amount INTEGER, order_id TEXT, created_at INTEGER);
  INSERT OR IGNORE INTO users VALUES ('u1', 1000000000000);`);
const debit = db.prepare('UPDATE users SET balance = balance - 32 WHERE id = ?');
const order = db.prepare("INSERT INTO orders VALUES (?, 'u1', 'WAITING', 32, ?)");
const ledger = db.prepare("INSERT INTO ledger VALUES (?, 'u1', -32, ?, ?)");
const tx = db.transaction((n) => {
  debit.run('u1');
  order.run(`o${n}`, Date.now());
  ledger.run(`l${n}`, `o${n}`, Date.now());
});
const end = performance.now() + Number(seconds) * 1000;
let n = 0;
const t0 = performance.now();
while (performance.now() < end) tx.immediate(n++);
console.log(JSON.stringify({ tps: n / ((performance.now() - t0) / 1000), transactions: n }));
db.close();
