/**
 * Structured logs (pino). Every line has a stable `event` name; timestamps come from the
 * injected clock, so the simulator's logs show virtual time. Keys, tokens and SMS texts are
 * redacted wherever they could appear.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';
import type { Clock } from './ports/clock.js';

/**
 * The request a piece of work belongs to. Every log line written while serving a request —
 * by the HTTP layer or deep in the engine — carries its `reqId`.
 */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** Whether a level would be written; lets hot paths skip building a line nobody keeps. */
  isLevelEnabled?(level: LogLevel): boolean;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const REDACT_PATHS = [
  'apiKey',
  'adminToken',
  'token',
  'key',
  'smsBody',
  'smsCode',
  'body',
  'code',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-admin-token"]',
  '*.apiKey',
  '*.smsBody',
  '*.smsCode',
];

export interface LoggerOptions {
  clock: Clock;
  level?: LogLevel;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"time":"${new Date(options.clock.now()).toISOString()}"`,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // A fresh object every line: pino merges the line's own fields into what the mixin returns,
      // so handing it the shared request context would carry fields from line to line.
      mixin: () => {
        const ctx = requestContext.getStore();
        return ctx ? { reqId: ctx.reqId } : {};
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** Secrets pasted where they do not belong (a key in a URL path): masked before the text is logged. */
const SECRET_IN_TEXT = /\b(jm_[0-9A-Za-z]{39})([0-9A-Za-z]{4})\b|\b(jma_[A-Za-z0-9_-]{6,})\b|\b(whsec_[A-Za-z0-9+/=]{8,})/g;

/** The upstream webhook's path carries its secret as the last segment (docs/decisions.md D99). */
const UPSTREAM_PUSH_SECRET = /(\/upstream\/v1\/[^/?#\s]+\/)[^/?#\s"]+/g;

export function redactSecrets(text: string): string {
  if (text.includes('/upstream/v1/')) text = text.replace(UPSTREAM_PUSH_SECRET, '$1…');
  if (!text.includes('jm') && !text.includes('whsec_')) return text;
  return text.replace(SECRET_IN_TEXT, (_m, _key, hint: string | undefined, admin: string | undefined, wh: string | undefined) =>
    hint !== undefined ? `jm_…${hint}` : admin !== undefined ? 'jma_…' : wh !== undefined ? 'whsec_…' : '…',
  );
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
  isLevelEnabled: () => false,
};
