/**
 * The one error type of the engine. Anything the API may answer with is an AppError with a
 * code from error-codes.ts; anything else that escapes is a bug and becomes INTERNAL.
 */
import { HTTP_STATUS, type ErrorCode } from './error-codes.js';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return HTTP_STATUS[this.code];
  }
}
