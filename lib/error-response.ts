import { type ErrorCode, type ErrorDetail, InternalError, SessionServiceError } from './errors.ts';

/** The one mapping from error codes to HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VERSION_CONFLICT: 412,
  SESSION_TOO_LARGE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: ErrorDetail[];
}

const GENERIC_MESSAGES: Partial<Record<ErrorCode, string>> = {
  UNAVAILABLE: 'the service is temporarily unavailable; try again shortly',
  INTERNAL: 'an internal error occurred',
};

/**
 * What a caller may see of an error: expected errors expose their message and details; anything
 * else becomes INTERNAL with a generic message, and its detail stays in the log.
 */
export function toErrorBody(error: unknown): {
  status: number;
  error: ErrorBody;
} {
  const known = error instanceof SessionServiceError ? error : new InternalError('unexpected error');
  const generic = GENERIC_MESSAGES[known.code];
  return {
    status: HTTP_STATUS[known.code],
    error: {
      code: known.code,
      message: generic ?? known.message,
      details: generic ? [] : known.details,
    },
  };
}
