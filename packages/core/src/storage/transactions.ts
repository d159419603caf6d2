/**
 * The storage port's transactions (docs/decisions.md D125). Services never hold a database
 * handle: they open a transaction here and call their aggregate's store inside it; stores join
 * whatever transaction is open. On SQLite the one connection is the transaction (BEGIN
 * IMMEDIATE, nested calls join, a savepoint rolls back alone).
 */
import { writeTx, writeTxUnsynced, type Db } from './database.js';

export interface Transactions {
  /** Runs `fn` in one write transaction; a call inside another joins it. */
  write<T>(fn: () => T): T;
  /**
   * The same, but its commit is not fsynced (docs/decisions.md D145): it survives a crash of this
   * process but not a power loss. Only for records whose loss is harmless (delivery outcomes).
   */
  writeUnsynced<T>(fn: () => T): T;
  /** Inside a transaction: runs `fn` so that, if it throws, only its own writes roll back. */
  savepoint<T>(fn: () => T): T;
  /** Whether a transaction is open. */
  readonly active: boolean;
}

export function sqliteTransactions(db: Db): Transactions {
  return {
    write: (fn) => writeTx(db, fn),
    writeUnsynced: (fn) => writeTxUnsynced(db, fn),
    // better-sqlite3 runs a transaction opened inside another as a savepoint.
    savepoint: (fn) => db.transaction(fn)(),
    get active() {
      return db.inTransaction;
    },
  };
}
