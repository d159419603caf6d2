/**
 * The SMS-Activate `handler_api.php` wire strings, in one place: reply tokens, the HTTP status
 * each error gets in "status-coded" mode, and the date format (no time zone, as the protocol).
 */
import type { UpstreamErrorKind } from '@jiema/core';

export const TOKENS = {
  balance: 'ACCESS_BALANCE',
  number: 'ACCESS_NUMBER',
  ready: 'ACCESS_READY',
  retryGet: 'ACCESS_RETRY_GET',
  activation: 'ACCESS_ACTIVATION',
  cancel: 'ACCESS_CANCEL',
  waitCode: 'STATUS_WAIT_CODE',
  waitRetry: 'STATUS_WAIT_RETRY',
  ok: 'STATUS_OK',
  statusCancel: 'STATUS_CANCEL',
} as const;

/** The `STATUS_OK` payload for an SMS with no code in it ("no code"), as the providers send it. */
export const NO_CODE_PAYLOAD = 'Нет кода';

export type ErrorToken =
  | 'NO_KEY'
  | 'BAD_KEY'
  | 'BAD_ACTION'
  | 'BAD_SERVICE'
  | 'BAD_COUNTRY'
  | 'BAD_STATUS'
  | 'NO_NUMBERS'
  | 'NO_BALANCE'
  | 'NO_ACTIVATION'
  | 'WRONG_ACTIVATION_ID'
  | 'EARLY_CANCEL_DENIED'
  | 'ERROR_SQL'
  | 'CHANNELS_LIMIT'
  | `BANNED:${string}`
  | `WRONG_MAX_PRICE:${string}`;

/** Status-coded mode (as some clones answer): the HTTP status for each error token. */
export function statusFor(token: ErrorToken): number {
  if (token.startsWith('BANNED')) return 403;
  if (token.startsWith('WRONG_MAX_PRICE')) return 400;
  switch (token) {
    case 'NO_KEY':
    case 'BAD_KEY':
      return 401;
    case 'NO_BALANCE':
      return 402;
    case 'EARLY_CANCEL_DENIED':
    case 'CHANNELS_LIMIT':
      return 403;
    case 'NO_NUMBERS':
    case 'NO_ACTIVATION':
    case 'WRONG_ACTIVATION_ID':
      return 404;
    case 'BAD_SERVICE':
    case 'BAD_COUNTRY':
      return 422;
    case 'ERROR_SQL':
      return 500;
    default:
      return 400;
  }
}

/** The token the upstream would answer for a normalised upstream error. */
export function tokenFor(kind: UpstreamErrorKind): ErrorToken {
  switch (kind) {
    case 'NO_NUMBERS':
    case 'NO_BALANCE':
    case 'BAD_SERVICE':
    case 'BAD_COUNTRY':
    case 'BAD_STATUS':
    case 'NO_ACTIVATION':
    case 'EARLY_CANCEL_DENIED':
      return kind;
    case 'CODE_RECEIVED':
      return 'BAD_STATUS';
    case 'AUTH':
      return 'BAD_KEY';
    case 'BANNED':
      return "BANNED:'2027-01-01 00-00-00'";
    default:
      return 'ERROR_SQL';
  }
}

/** "YYYY-MM-DD HH:MM:SS" in UTC, with no zone, as the protocol sends times. */
export function protocolTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Currency code the fake upstream reports (USD, ISO 4217 numeric), as HeroSMS does. */
export const CURRENCY_USD = 840;
