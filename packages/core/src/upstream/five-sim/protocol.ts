/**
 * 5sim's REST wire strings, in one place: routes, headers, order statuses, its lowercase error
 * texts, the spellings it gives countries where they are not the plain lowercased English name,
 * and the shapes of its JSON replies. Nothing else in the adapter spells a vendor string.
 */
import { z } from 'zod';
import type { UpstreamErrorKind } from '../upstream-error.js';

export const DEFAULT_BASE_URL = 'https://5sim.net/v1';

export const HEADER = { authorization: 'authorization', accept: 'accept' } as const;
export const bearer = (token: string): string => `Bearer ${token}`;
export const ACCEPT_JSON = 'application/json';

/** Buy through any operator: 5sim picks the one with stock. */
const ANY_OPERATOR = 'any';

const seg = encodeURIComponent;

export const ROUTE = {
  profile: () => '/user/profile',
  buy: (country: string, product: string) => `/user/buy/activation/${seg(country)}/${ANY_OPERATOR}/${seg(product)}`,
  check: (id: string) => `/user/check/${seg(id)}`,
  finish: (id: string) => `/user/finish/${seg(id)}`,
  cancel: (id: string) => `/user/cancel/${seg(id)}`,
  orders: (limit: number, offset: number) => `/user/orders?category=activation&limit=${limit}&offset=${offset}&order=id&reverse=true`,
  countries: () => '/guest/countries',
  prices: () => '/guest/prices',
} as const;

/** The most orders one page of the history returns. */
export const ORDERS_PAGE_SIZE = 100;

export const OPEN_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'RECEIVED']);
export const CLOSED_STATUSES: ReadonlySet<string> = new Set(['CANCELED', 'TIMEOUT', 'FINISHED', 'BANNED']);

/** 5sim's error bodies: bare lowercase texts, matched exactly after trimming. */
export const ERROR_KINDS: Readonly<Record<string, UpstreamErrorKind>> = {
  'no free phones': 'NO_NUMBERS',
  'not enough user balance': 'NO_BALANCE',
  // A low account rating stops purchases until an operator deals with it, as a ban would.
  'not enough rating': 'BANNED',
  'select country': 'BAD_COUNTRY',
  'bad country': 'BAD_COUNTRY',
  'select operator': 'PROTOCOL',
  'bad operator': 'PROTOCOL',
  'no product': 'BAD_SERVICE',
  'server offline': 'UNAVAILABLE',
  'order not found': 'NO_ACTIVATION',
  'order expired': 'NO_ACTIVATION',
  'order has sms': 'CODE_RECEIVED',
  'order no sms': 'BAD_STATUS',
  'hosting order': 'PROTOCOL',
  'you need to wait time': 'EARLY_CANCEL_DENIED',
  'api limit is 100 requests per second': 'UNAVAILABLE',
  'ip address limit is 100 requests per second': 'UNAVAILABLE',
};

/** HTTP statuses that mean the same whatever the body says. */
export const STATUS_KINDS: Readonly<Record<number, UpstreamErrorKind>> = { 401: 'AUTH', 429: 'UNAVAILABLE' };

/** Where 5sim's country name is not the fixture's English name lowercased with non-letters removed. */
const COUNTRY_NAME_EXCEPTIONS: Readonly<Record<number, string>> = { 16: 'england', 187: 'usa', 12: 'usavirtual' };

/** How 5sim names a country, from its SMS-Activate id and English name. */
export function defaultCountryName(id: number, englishName: string): string {
  return COUNTRY_NAME_EXCEPTIONS[id] ?? englishName.toLowerCase().replace(/[^a-z]/g, '');
}

// ------------------------------------------------------------------ JSON reply shapes

const scalar = z.union([z.string(), z.number()]);

export const ProfileSchema = z.object({ balance: scalar });

const SmsSchema = z.object({
  created_at: z.string().nullish(),
  date: z.string().nullish(),
  text: z.string().nullish(),
  code: scalar.nullish(),
});

export const OrderSchema = z.object({
  id: scalar,
  phone: scalar,
  product: z.string().nullish(),
  status: z.string(),
  country: z.string().nullish(),
  created_at: z.string().nullish(),
  sms: z.array(SmsSchema).nullish(),
});

export const OrdersPageSchema = z.object({ Data: z.array(OrderSchema).nullish(), Total: z.number().nullish() });

/** Keyed by 5sim's country name; `iso` is keyed by ISO 3166 alpha-2 code, `text_en` is the English name. */
export const CountriesSchema = z.record(
  z.string(),
  z.object({ iso: z.record(z.string(), z.unknown()).nullish(), text_en: z.string().nullish() }),
);

/** `{country:{product:{operator:{cost,count,rate}}}}`. */
export const PricesSchema = z.record(
  z.string(),
  z.record(z.string(), z.record(z.string(), z.object({ cost: scalar, count: scalar.nullish() }))),
);

export type FiveSimOrder = z.infer<typeof OrderSchema>;
