import { type ErrorCode, type ErrorDetail, InternalError, SessionServiceError } from '../errors.ts';

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

/** Bounds on what an error body may carry: input can name thousands of fields, the answer stays small. */
export const ERROR_BODY_LIMITS = {
  details: 20,
  messageLength: 200,
  pathLength: 100,
  bodyBytes: 4 * 1024,
} as const;

/**
 * At most `max` characters, marked with an ellipsis when cut. `toWellFormed` replaces any unpaired
 * surrogate, whether it came from the input (an echoed key) or from a cut through a pair.
 */
function clip(text: string, max: number): string {
  const clipped = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return clipped.toWellFormed();
}

const byteLength = (error: ErrorBody) => Buffer.byteLength(JSON.stringify({ error }));

/**
 * Caps an error body: at most 20 details (the last one saying how many were left out when some
 * were), each path and message clipped, and the whole body, as JSON, at most 4 KB.
 */
function bounded(code: ErrorCode, message: string, details: ErrorDetail[]): ErrorBody {
  const limits = ERROR_BODY_LIMITS;
  const clipped = details.map((detail) => ({
    path: clip(detail.path, limits.pathLength),
    message: clip(detail.message, limits.messageLength),
  }));
  const body: ErrorBody = { code, message: clip(message, limits.messageLength), details: [] };
  let kept = Math.min(clipped.length, limits.details);
  for (;;) {
    const omitted = clipped.length - kept;
    // With some left out, one slot of the 20 says how many.
    const listed = omitted > 0 ? clipped.slice(0, Math.max(0, kept - 1)) : clipped.slice(0, kept);
    const unlisted = clipped.length - listed.length;
    body.details =
      unlisted > 0 ? [...listed, { path: '', message: `and ${unlisted} more not listed` }] : listed;
    if (byteLength(body) <= limits.bodyBytes || kept === 0) return body;
    kept -= 1;
  }
}

/**
 * What a caller may see of an error: expected errors expose their message and details, bounded in
 * size; anything else becomes INTERNAL with a generic message, and its detail stays in the log.
 */
export function toErrorBody(error: unknown): {
  status: number;
  error: ErrorBody;
} {
  const known = error instanceof SessionServiceError ? error : new InternalError('unexpected error');
  const generic = GENERIC_MESSAGES[known.code];
  return {
    status: HTTP_STATUS[known.code],
    error: generic
      ? { code: known.code, message: generic, details: [] }
      : bounded(known.code, known.message, known.details),
  };
}
