/**
 * @jiema/sdk: a typed client for the jiema.my v1 API and any jiema-compatible server, with no
 * runtime dependencies. Start with `new JiemaClient({ apiKey })`; see the README.
 *
 * The public API (docs/decisions.md D155): listed in the README's "Public API" and pinned by
 * test/public-api.test.ts. Everything else is internal.
 */
export { JiemaClient } from './client.js';
export { DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS, type JiemaClientOptions } from './client-options.js';
export { maskApiKey } from './api-key.js';
export { SDK_VERSION } from './version.js';
export {
  ORDER_STATUSES,
  TERMINAL_STATUSES,
  isTerminalStatus,
  type Account,
  type Country,
  type CreateOrderInput,
  type ListOrdersQuery,
  type Order,
  type OrderPage,
  type OrderStatus,
  type OrderStatusResult,
  type Price,
  type PriceList,
  type Service,
  type SmsMessage,
  type TerminalStatus,
} from './types.js';
export { JiemaError, type JiemaErrorInit } from './errors/jiema-error.js';
export {
  JiemaAlreadyChangedError,
  JiemaAuthError,
  JiemaBadCountryError,
  JiemaBadRequestError,
  JiemaBadServiceError,
  JiemaBadStatusError,
  JiemaCodeReceivedError,
  JiemaForbiddenError,
  JiemaIdempotencyInProgressError,
  JiemaIdempotencyMismatchError,
  JiemaInsufficientBalanceError,
  JiemaInternalError,
  JiemaNoNumbersError,
  JiemaNotFoundError,
  JiemaRateLimitedError,
  JiemaRequestTimeoutError,
  JiemaServerError,
  JiemaStorageUnavailableError,
  JiemaUpstreamUnavailableError,
} from './errors/api-errors.js';
export {
  JiemaAbortError,
  JiemaConnectionError,
  JiemaInvalidResponseError,
  JiemaOutcomeUnknownError,
  JiemaTimeoutError,
} from './errors/client-errors.js';
export { JiemaOrderEndedError, JiemaWaitTimeoutError } from './errors/wait-errors.js';
export { API_ERROR_CODES, type ApiErrorCode } from './errors/error-from-response.js';
export type { ClientHooks, RequestEvent, ResponseEvent, RetryEvent } from './http/hooks.js';
export type { RequestOptions, WriteOptions } from './http/requester.js';
export { DEFAULT_RETRY, type RetrySettings } from './http/retry-policy.js';
export type { FetchLike } from './http/transport.js';
export {
  DOCUMENTED_LIMITS,
  RATE_CLASSES,
  RatePacer,
  type ClassLimit,
  type Permit,
  type PermitOutcome,
  type RateClass,
  type RatePacerOptions,
} from './pacing/rate-pacer.js';
export { systemClock, type Clock } from './ports/clock.js';
export type { Random } from './ports/random.js';
export type { AccountApi } from './resources/account-api.js';
export type { CountriesApi, PricesApi, ServicesApi } from './resources/catalogue-api.js';
export { OrderList } from './resources/order-list.js';
export type { OrdersApi } from './resources/orders-api.js';
export { DEFAULT_POLL_INTERVAL_MS, DEFAULT_WAIT_MS, LONG_POLL_SECONDS, type WaitForSmsOptions } from './resources/wait-for-sms.js';
export type {
  Webhook,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEventType,
  WebhookWithSecret,
  WebhooksApi,
} from './resources/webhooks-api.js';
export {
  JiemaWebhookVerificationError,
  WEBHOOK_TOLERANCE_SECONDS,
  signWebhookPayload,
  verifyWebhook,
  type VerifyOptions,
  type WebhookEvent,
  type WebhookHeaders,
} from './webhooks/verify.js';
