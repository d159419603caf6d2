/**
 * @jiema/core: the order, balance and pricing engine behind the jiema v1 API, on SQLite, with
 * its HTTP and admin API. Compose with `createEngine` and `createApp`, run with `listen`.
 *
 * The public API (docs/decisions.md D155): every name here is listed in the README's "Public API"
 * and pinned by test/public-api.test.ts. Building routes beside core's own is `@jiema/core/http`;
 * the Upstream conformance suite is `@jiema/core/testing`. Everything else is internal.
 */

// Composing and running a server.
export { createEngine, type Engine, type EngineOptions, type TickResult } from './engine.js';
export { createApp, type AppOptions, type JiemaApp } from './http/app.js';
export { listen, bindServer, type ListenOptions, type RunningServer } from './server.js';
export type { ConsoleOptions } from './console/console.js';
export { parseTrustProxy, type TrustProxy } from './http/client-address.js';
export type { RateLimitConfig } from './http/rate-limiter.js';
export { PROMETHEUS_CONTENT_TYPE } from './metrics/metrics.js';
export { UPSTREAM_PUSH_PREFIX } from './http/upstream-push.js';
export { createLogger, silentLogger, redactSecrets, type Logger, type LoggerOptions, type LogLevel } from './logger.js';

// Ports: time and randomness.
export { systemClock, ManualClock, type Clock } from './ports/clock.js';
export { cryptoRng, createSeededRng, type Rng } from './ports/rng.js';

// The Upstream port and its adapters.
export type {
  Activation,
  ActivationStatus,
  ActiveActivation,
  Upstream,
  UpstreamCatalogue,
  UpstreamHealth,
  PushedSms,
  UpstreamOffer,
  UpstreamSms,
  UpstreamState,
} from './upstream/upstream.js';
export { UpstreamError, UPSTREAM_ERROR_KINDS, type UpstreamErrorKind } from './upstream/upstream-error.js';
export { MemoryUpstream, type MemoryUpstreamOptions } from './upstream/memory/memory-upstream.js';
export { SmsActivateUpstream, type SmsActivateUpstreamOptions } from './upstream/sms-activate/sms-activate-upstream.js';
export { FiveSimUpstream, type FiveSimUpstreamOptions } from './upstream/five-sim/five-sim-upstream.js';
export type { HttpUpstreamOptions } from './upstream/http-upstream-options.js';
export { BALANCE_EVERY_MS } from './upstream/balance-monitor.js';

// Errors the API answers with.
export { AppError } from './errors/app-error.js';
export { ERROR_CODES, HTTP_STATUS, type ErrorCode } from './errors/error-codes.js';

// The catalogue.
export { loadCatalogueFixture, type CatalogueFixture, type FixtureCountry, type FixtureService } from './catalogue/catalogue-fixture.js';
export {
  CatalogueOverridesSchema,
  readCatalogueOverrides,
  writeCatalogueOverrides,
  type CatalogueOverrides,
} from './catalogue/catalogue-overrides.js';
export { didYouMean } from './catalogue/suggest.js';

// Orders, money and SMS codes.
export type { Order, OrderStatus, Sms } from './order/order.js';
export { formatMicros, parseDecimalMicros } from './money/money.js';
export { extractCode, smsCode } from './order/sms-code.js';
export { generateApiKey } from './account/api-key.js';

// The database, for operators' tools.
export { openDatabase, type Db, type OpenDatabaseOptions } from './storage/database.js';
export {
  acquireDatabaseLock,
  acquireSchemaLock,
  recordDatabaseHolder,
  DatabaseLockedError,
  type DatabaseLock,
} from './storage/database-lock.js';
export { backupDatabase, restoreDatabase, BackupError, type DatabaseSummary, type RestoreResult } from './storage/backup.js';
export { wipeData } from './storage/wipe.js';
export { peekSettings, type SettingsStore } from './storage/settings-store.js';
export { createSqliteStores, createStores, type Stores } from './storage/stores.js';
export type { Transactions } from './storage/transactions.js';
export { checkLedgerInvariants, type InvariantViolation } from './ledger/ledger-invariants.js';
// PostgreSQL: recognising its URLs, and `jiema migrate`'s copy from SQLite.
export {
  copySqliteToPostgres,
  type CopyTableResult,
  type CopyToPostgresOptions,
  type CopyToPostgresResult,
} from './storage/postgres/copy-from-sqlite.js';
export {
  checkPostgresUrl,
  isPostgresUrl,
  peekPostgresSettings,
  PostgresError,
  PostgresUnreachableError,
  redactPostgresUrl,
} from './storage/postgres/postgres.js';
export { openPostgresDb } from './storage/postgres/open-postgres.js';
