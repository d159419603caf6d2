/**
 * The storage port (docs/decisions.md D125): every SQL statement of the engine lives in a store
 * of one aggregate, behind an interface the engine's services use. This file gathers them; the
 * SQLite implementations are built here from one open database.
 */
import type { Db } from './database.js';
import { dialectOf, PostgresDb, type Dialect } from './postgres/postgres-db.js';
import type { PostgresTransactions } from './postgres/postgres-transactions.js';
import type { SyncPostgresClient } from './postgres/sync-client.js';
import { sqliteTransactions, type Transactions } from './transactions.js';
import { SqliteSettingsStore, type SettingsStore } from './settings-store.js';
import { SqliteActivationStore, type ActivationStore } from './activation-store.js';
import { SqliteMaintenanceStore, type MaintenanceStore } from './maintenance-store.js';
import { SqliteAccountStore, type AccountStore } from '../account/account-store.js';
import { SqlitePricingRuleStore, type PricingRuleStore } from '../pricing/pricing-store.js';
import { SqliteConsoleSessionStore, type ConsoleSessionStore } from '../console/session-store.js';
import { SqliteConsoleQueryStore, type ConsoleQueryStore } from '../console/console-query-store.js';
import { SqliteHealthStore, type HealthStore } from './health-store.js';
import { SqliteLedgerStore, type LedgerStore } from '../ledger/ledger-store.js';
import { SqliteOutboxStore, type OutboxStore } from '../outbox/outbox-store.js';
import { SqliteOrderStore, type OrderStore } from '../order/order-store.js';
import { SqliteBuyIntentStore, type BuyIntentStore } from '../order/buy-intent-store.js';
import { SqliteOrderSupportStore, type OrderSupportStore } from '../support/order-support-store.js';
import { SqliteEventStore, type EventStore } from '../push/event-store.js';
import { SqliteWebhookStore, type WebhookStore } from '../push/webhook-store.js';
import { SqliteIdempotencyKeyStore, type IdempotencyKeyStore } from '../idempotency/idempotency-store.js';
import { PostgresJobLockStore, SqliteJobLockStore, type JobLockStore } from './job-lock-store.js';
import { MemoryRateWindowStore, type RateWindowStore } from '../http/rate-window-store.js';
import { PostgresRateWindowStore } from '../http/postgres-rate-window-store.js';

export interface Stores {
  readonly dialect: Dialect;
  readonly tx: Transactions;
  readonly settings: SettingsStore;
  readonly activations: ActivationStore;
  readonly maintenance: MaintenanceStore;
  readonly accounts: AccountStore;
  readonly pricingRules: PricingRuleStore;
  readonly consoleSessions: ConsoleSessionStore;
  readonly consoleQueries: ConsoleQueryStore;
  readonly health: HealthStore;
  readonly ledger: LedgerStore;
  readonly outbox: OutboxStore;
  readonly orders: OrderStore;
  readonly buyIntents: BuyIntentStore;
  readonly orderSupport: OrderSupportStore;
  readonly events: EventStore;
  readonly webhooks: WebhookStore;
  readonly idempotencyKeys: IdempotencyKeyStore;
  /** Which background jobs this instance runs (docs/decisions.md D128). */
  readonly jobs: JobLockStore;
  /**
   * The rate limiter's windows (docs/decisions.md D129): in memory on SQLite (one process per
   * file), in the database on PostgreSQL, shared by every instance.
   */
  readonly rateWindows: RateWindowStore;
}

export function createSqliteStores(db: Db): Stores {
  return { ...buildStores(db, 'sqlite', sqliteTransactions(db), new SqliteJobLockStore()), rateWindows: new MemoryRateWindowStore() };
}

/**
 * The same stores on PostgreSQL (docs/decisions.md D127), on one synchronous connection whose
 * schema is already migrated (see openPostgres).
 */
export function createPostgresStores(connection: SyncPostgresClient | PostgresDb): Stores & { tx: PostgresTransactions } {
  const pg = connection instanceof PostgresDb ? connection : new PostgresDb(connection);
  const jobs = new PostgresJobLockStore(pg.asDb(), () => pg.client.sessions());
  return { ...buildStores(pg.asDb(), 'postgres', pg.tx, jobs), tx: pg.tx, rateWindows: new PostgresRateWindowStore(pg.asDb()) };
}

/** The stores on an open database of either dialect (a SQLite Db, or a PostgresDb passed as one). */
export function createStores(db: Db): Stores {
  return dialectOf(db) === 'postgres' ? createPostgresStores(db as unknown as PostgresDb) : createSqliteStores(db);
}

function buildStores(db: Db, dialect: Dialect, tx: Transactions, jobs: JobLockStore): Omit<Stores, 'rateWindows'> {
  return {
    dialect,
    tx,
    settings: new SqliteSettingsStore(db),
    activations: new SqliteActivationStore(db),
    maintenance: new SqliteMaintenanceStore(db),
    accounts: new SqliteAccountStore(db),
    pricingRules: new SqlitePricingRuleStore(db),
    consoleSessions: new SqliteConsoleSessionStore(db),
    consoleQueries: new SqliteConsoleQueryStore(db),
    health: new SqliteHealthStore(db),
    ledger: new SqliteLedgerStore(db),
    outbox: new SqliteOutboxStore(db),
    orders: new SqliteOrderStore(db),
    buyIntents: new SqliteBuyIntentStore(db),
    orderSupport: new SqliteOrderSupportStore(db),
    events: new SqliteEventStore(db),
    webhooks: new SqliteWebhookStore(db),
    idempotencyKeys: new SqliteIdempotencyKeyStore(db),
    jobs,
  };
}
