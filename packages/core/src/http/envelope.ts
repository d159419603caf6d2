/**
 * The JSON envelope every response uses, and the one place an error becomes a response:
 * AppErrors map through the status table; anything else is INTERNAL with no detail leaked.
 */
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { HTTP_STATUS, type ErrorCode } from '../errors/error-codes.js';
import { PostgresError } from '../storage/postgres/postgres.js';

export interface HandlerResult {
  status: number;
  body: unknown;
  /** The body already serialized (JSON text of `body`), when the handler has it at hand. */
  json?: string;
  headers?: Record<string, string>;
  /**
   * A response that is not one JSON document (server-sent events): the status and headers are
   * written — with `contentType` instead of JSON's — then this takes the response over.
   */
  stream?: { contentType: string; start(res: ServerResponse): void };
}

export const ok = (data: unknown, status = 200): HandlerResult => ({ status, body: { ok: true, data } });

export function errorResult(code: ErrorCode, message: string): HandlerResult {
  return { status: HTTP_STATUS[code], body: { ok: false, code, message } };
}

export function toErrorResult(err: unknown): HandlerResult {
  if (err instanceof AppError) return errorResult(err.code, err.message);
  if (isStorageOutage(err))
    return errorResult(
      'STORAGE_UNAVAILABLE',
      'The database did not answer in time or the connection to it was lost; retry in a moment (with the same Idempotency-Key for a POST).',
    );
  return errorResult('INTERNAL', 'Something went wrong on our side; it has been logged. Try again.');
}

/** Parses with a schema; a failure is BAD_REQUEST naming the field and the problem. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    throw new AppError(
      'BAD_REQUEST',
      `Unknown field${keys.length > 1 ? 's' : ''} in ${where}: ${keys.map((k) => JSON.stringify(k)).join(', ')}.`,
    );
  }
  const path = issue.path.length ? issue.path.join('.') : where;
  const received =
    issue.code === 'invalid_type' && issue.message.includes('received undefined')
      ? 'is required'
      : issue.message.replace(/^Invalid input: /, '').toLowerCase();
  throw new AppError('BAD_REQUEST', `${path}: ${received}.`);
}

/**
 * PostgreSQL (docs/decisions.md D127) failing for a moment, not for this request: the connection
 * lost or not yet back (no SQLSTATE, or class 08), the server shutting down or refusing (57P01–03,
 * 53300), a lock or statement timeout (55P03, 57014), a deadlock or serialization failure (40xxx).
 */
function isStorageOutage(err: unknown): boolean {
  if (!(err instanceof PostgresError)) return false;
  const code = (err as { code?: string }).code;
  // Not a SQLSTATE at all (undefined, or a socket's ECONNRESET): the connection failed.
  return code === undefined || !/^[0-9A-Z]{5}$/.test(code) || /^(08|40|57P0[1-3]|53300|55P03|57014)/.test(code);
}
