/**
 * The SMS-Activate `handler_api.php` wire strings, in one place (HeroSMS, GrizzlySMS, SMSHub,
 * 5sim's api1 and the other clones speak it): the path, actions and parameters, reply tokens,
 * the error-token table, and the shapes of its JSON replies. Nothing else in the adapter
 * spells a vendor string.
 */
import { z } from 'zod';
import type { UpstreamErrorKind } from '../upstream-error.js';

export const HANDLER_PATH = '/stubs/handler_api.php';

export const PARAM = {
  apiKey: 'api_key',
  action: 'action',
  service: 'service',
  country: 'country',
  id: 'id',
  status: 'status',
  start: 'start',
  limit: 'limit',
} as const;

export const ACTION = {
  getBalance: 'getBalance',
  getNumberV2: 'getNumberV2',
  getStatus: 'getStatus',
  getStatusV2: 'getStatusV2',
  setStatus: 'setStatus',
  getActiveActivations: 'getActiveActivations',
  getCountries: 'getCountries',
  getServicesList: 'getServicesList',
  getPrices: 'getPrices',
} as const;

/** `setStatus` values. */
export const SET_STATUS = { nextSms: '3', finish: '6', cancel: '8' } as const;

/** Success tokens: the part of a text reply before the first colon. */
export const REPLY = {
  balance: 'ACCESS_BALANCE',
  number: 'ACCESS_NUMBER',
  retryGet: 'ACCESS_RETRY_GET',
  activation: 'ACCESS_ACTIVATION',
  cancel: 'ACCESS_CANCEL',
  waitCode: 'STATUS_WAIT_CODE',
  waitRetry: 'STATUS_WAIT_RETRY',
  waitResend: 'STATUS_WAIT_RESEND',
  ok: 'STATUS_OK',
  statusCancel: 'STATUS_CANCEL',
  /** The active list is empty; usually sent as the JSON `{"status":"error","error":"NO_ACTIVATIONS"}`. */
  noActivations: 'NO_ACTIVATIONS',
} as const;

/** The answer to an action the upstream does not implement (some clones lack getStatusV2). */
export const UNSUPPORTED_ACTION = 'BAD_ACTION';

export const SUCCESS_TOKENS: ReadonlySet<string> = new Set(Object.values(REPLY));

/** Error tokens (a text reply, or the `error` field of a JSON one) and what they mean. Matched exactly, never by substring. */
export const ERROR_KINDS: Readonly<Record<string, UpstreamErrorKind>> = {
  NO_KEY: 'AUTH',
  BAD_KEY: 'AUTH',
  BAD_ACTION: 'PROTOCOL',
  BAD_SERVICE: 'BAD_SERVICE',
  WRONG_SERVICE: 'BAD_SERVICE',
  BAD_COUNTRY: 'BAD_COUNTRY',
  WRONG_COUNTRY: 'BAD_COUNTRY',
  WRONG_COUNTRY_ID: 'BAD_COUNTRY',
  BAD_OPERATOR: 'PROTOCOL',
  WRONG_OPERATOR: 'PROTOCOL',
  OPERATORS_NOT_FOUND: 'PROTOCOL',
  WRONG_EXCEPTION_PHONE: 'PROTOCOL',
  BAD_STATUS: 'BAD_STATUS',
  NO_NUMBERS: 'NO_NUMBERS',
  // maxPrice below the going price: no number at the price asked for.
  WRONG_MAX_PRICE: 'NO_NUMBERS',
  NO_BALANCE: 'NO_BALANCE',
  NO_BALANCE_FORWARD: 'NO_BALANCE',
  BANNED: 'BANNED',
  CHANNELS_LIMIT: 'UNAVAILABLE',
  ORDER_ALREADY_EXISTS: 'UNAVAILABLE',
  NO_ACTIVATION: 'NO_ACTIVATION',
  WRONG_ACTIVATION_ID: 'NO_ACTIVATION',
  // Some clones answer a cancel or finish of a closed activation with these: already closed.
  ACCESS_CANCEL_ALREADY: 'NO_ACTIVATION',
  ALREADY_CANCELED: 'NO_ACTIVATION',
  ALREADY_CANCEL: 'NO_ACTIVATION',
  ALREADY_FINISH: 'NO_ACTIVATION',
  OTP_RECEIVED: 'CODE_RECEIVED',
  EARLY_CANCEL_DENIED: 'EARLY_CANCEL_DENIED',
  ERROR_SQL: 'UNAVAILABLE',
  SERVER_ERROR: 'UNAVAILABLE',
};

/** `{"status":"false","msg":…}` texts (getPrices validation). */
export const JSON_MSG_KINDS: Readonly<Record<string, UpstreamErrorKind>> = {
  'service is incorrect': 'BAD_SERVICE',
  'country is incorrect': 'BAD_COUNTRY',
};

/** The `status` values a JSON body uses to say it is an error. */
export const JSON_ERROR_STATUSES: ReadonlySet<string> = new Set(['error', 'false']);

/** `STATUS_OK:Нет кода` ("no code"): the official client treats it as no code yet. */
export const NO_CODE_PAYLOAD = 'Нет кода';

/** getActiveActivations `activationStatus` values for activations that are over (6 done, 8 cancelled, 10 refunded). */
export const CLOSED_ACTIVATION_STATUSES: ReadonlySet<string> = new Set(['6', '8', '10']);

/** The most getActiveActivations returns per page. */
export const ACTIVE_PAGE_SIZE = 100;

// ------------------------------------------------------------------ JSON reply shapes

const scalar = z.union([z.string(), z.number()]);

/**
 * What a JSON error body may carry: `{"status":"error","error":"NO_ACTIVATIONS"}`,
 * `{"status":"false","msg":"service is incorrect"}`, `{"error":"NO_NUMBERS","message":…}`, or
 * HeroSMS's 422 `{"title":…,"info":{"field":"api_key"}}`.
 */
export const JsonErrorSchema = z.object({
  status: scalar.optional(),
  error: z.string().optional(),
  msg: z.string().optional(),
  message: z.string().optional(),
  title: z.string().optional(),
  info: z.object({ field: z.string().optional() }).optional(),
});

export const NumberV2Schema = z.object({
  activationId: scalar,
  phoneNumber: scalar,
  activationTime: z.string().nullish(),
});

const message = z.object({ dateTime: z.string().nullish(), code: scalar.nullish(), text: z.string().nullish() }).nullish();

export const StatusV2Schema = z.object({
  sms: z.union([message, z.array(z.unknown())]),
  call: z.union([message, z.array(z.unknown())]).optional(),
});

const ActiveActivationSchema = z.object({
  activationId: scalar,
  serviceCode: z.string(),
  phoneNumber: scalar,
  activationTime: z.string().nullish(),
  countryCode: scalar,
  activationStatus: scalar.nullish(),
});

export const ActiveListSchema = z.object({
  activeActivations: z.union([
    z.array(ActiveActivationSchema),
    z.record(z.string(), ActiveActivationSchema).transform((r) => Object.values(r)),
  ]),
});

const CountrySchema = z.object({ id: scalar, eng: z.string().nullish(), rus: z.string().nullish(), visible: scalar.nullish() });

/** An object keyed by id (seen live) or an array (the HeroSMS spec). */
export const CountriesSchema = z.union([z.array(CountrySchema), z.record(z.string(), CountrySchema).transform((r) => Object.values(r))]);

export const ServicesListSchema = z.object({ services: z.array(z.object({ code: z.string(), name: z.string().nullish() })) });

export const PriceSchema = z.object({ cost: scalar, count: scalar.nullish(), physicalCount: scalar.nullish() });

/** `{"<country>":{"<service>":{cost,count,physicalCount}}}`, or an array of such objects or of flat rows. */
export const PricesSchema = z.union([
  z.record(z.string(), z.record(z.string(), PriceSchema)),
  z.array(z.union([PriceSchema.extend({ country: scalar, service: z.string() }), z.record(z.string(), z.record(z.string(), PriceSchema))])),
]);

/**
 * The body of the provider's incoming-SMS webhook: one POST per SMS received, as
 * `{activationId, service, text, code, country, receivedAt}` (`receivedAt` a zone-less
 * "YYYY-MM-DD HH:MM:SS", like getStatusV2's `dateTime`). Form-encoded bodies carry the same
 * names as strings, so ids and numbers are accepted either way (docs/upstream-adapters.md).
 */
export const WebhookSchema = z.object({
  activationId: z.union([z.number(), z.string()]),
  service: z.string().nullish(),
  text: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
  country: z.union([z.number(), z.string()]).nullish(),
  receivedAt: z.string().nullish(),
});
