/**
 * @jiema/core: the order, balance and pricing engine behind the jiema v1 API, on SQLite, with
 * its HTTP and admin API. Compose with `createEngine` and `createApp`, run with `listen`.
 */
export * from './account/account-service.js';
export * from './account/api-key.js';
export * from './catalogue/catalogue-fixture.js';
export * from './catalogue/catalogue-overrides.js';
export * from './catalogue/catalogue-service.js';
export * from './catalogue/suggest.js';
export { ChangeFeed, type FeedChanges, type FeedListener } from './console/change-feed.js';
export { createConsole, type Console, type ConsoleOptions } from './console/console.js';
export { CONSOLE_CSP } from './console/console-assets.js';
export { SESSION_COOKIE, type ConsoleSession } from './console/console-sessions.js';
export type { ConsoleOrder } from './console/console-queries.js';
export type { DeveloperFeed } from './console/console-streams.js';
export * from './engine.js';
export * from './errors/app-error.js';
export * from './errors/error-codes.js';
export * from './http/app.js';
export * from './http/docs-page.js';
export * from './http/envelope.js';
export { credentialHint, type ObservedRequest, type RequestObserver } from './http/instrument.js';
export * from './http/json-http-server.js';
export * from './http/openapi.js';
export * from './http/openapi-errors.js';
export * from './http/response-validator.js';
export * from './http/pipeline.js';
export * from './http/rate-limiter.js';
export * from './http/route.js';
export * as schemas from './http/schemas.js';
export * from './idempotency/idempotency-store.js';
export * from './ledger/ledger.js';
export * from './ledger/money-service.js';
export * from './ledger/ledger-invariants.js';
export * from './logger.js';
export * from './money/money.js';
export * from './order/order.js';
export * from './order/order-machine.js';
export * from './order/order-presenter.js';
export * from './order/sms-code.js';
export * from './outbox/outbox.js';
export * from './ports/clock.js';
export * from './ports/ids.js';
export * from './ports/rng.js';
export * from './pricing/pricing.js';
export * from './pricing/pricing-service.js';
export * from './server.js';
export * from './settings.js';
export * from './storage/database.js';
export * from './storage/database-lock.js';
export { latestInstant } from './storage/latest-instant.js';
export type { StorageStatus, StorageWatch } from './storage/storage-watch.js';
export { wipeData } from './storage/wipe.js';
export { hashSecret, secretMatches } from './http/auth.js';
export { parseTrustProxy, type TrustProxy } from './http/client-address.js';
export * from './upstream/call-guard.js';
export * from './upstream/circuit-breaker.js';
export * from './upstream/five-sim/five-sim-upstream.js';
export { FiveSimNames, type FiveSimNameOverrides } from './upstream/five-sim/catalogue.js';
export * from './upstream/http-client.js';
export * from './upstream/http-upstream-options.js';
export * from './upstream/memory/memory-upstream.js';
export * from './upstream/sms-activate/sms-activate-upstream.js';
export { parseReply as parseSmsActivateReply, type SmsActivateReply } from './upstream/sms-activate/parse.js';
export { readSmsActivatePush } from './upstream/sms-activate/webhook.js';
export { UPSTREAM_PUSH_PREFIX, upstreamPushPath } from './http/upstream-push.js';
export { parseReply as parseFiveSimReply, type FiveSimReply } from './upstream/five-sim/parse.js';
export * from './upstream/upstream.js';
export * from './upstream/upstream-error.js';
export * from './support/order-support.js';
export { adminOrderRoutes, presentAdminOrder } from './http/admin-order-routes.js';
export { Metrics, PROMETHEUS_CONTENT_TYPE, type MetricsSources } from './metrics/metrics.js';
export { BalanceMonitor, BALANCE_EVERY_MS, type BalanceReading } from './upstream/balance-monitor.js';
export { checkReadiness, operationsRoutes, type Readiness } from './http/operations-routes.js';
export * from './storage/backup.js';
export {
  copySqliteToPostgres,
  type CopyTableResult,
  type CopyToPostgresOptions,
  type CopyToPostgresResult,
} from './storage/postgres/copy-from-sqlite.js';
export { isPostgresUrl, PostgresError, PostgresUnreachableError, redactPostgresUrl } from './storage/postgres/postgres.js';
