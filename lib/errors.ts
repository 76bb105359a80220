/** A problem with one field of the input, as reported to callers in `error.details`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VERSION_CONFLICT'
  | 'SESSION_TOO_LARGE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/**
 * Base of every error the service raises on purpose. `code` is stable and is what callers and tests
 * rely on; `message` is for people and may change.
 */
export abstract class SessionServiceError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(message: string, options?: ErrorOptions & { details?: ErrorDetail[] }) {
    super(message, options);
    this.details = options?.details ?? [];
  }
}

export class ValidationError extends SessionServiceError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION_FAILED';
}

export class UnauthorizedError extends SessionServiceError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'UNAUTHORIZED';
}

export class ForbiddenError extends SessionServiceError {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN';
}

export class NotFoundError extends SessionServiceError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}

export class VersionConflictError extends SessionServiceError {
  override readonly name = 'VersionConflictError';
  readonly code = 'VERSION_CONFLICT';
}

/** The write would take the stored session past its size bound; nothing was stored. */
export class SessionTooLargeError extends SessionServiceError {
  override readonly name = 'SessionTooLargeError';
  readonly code = 'SESSION_TOO_LARGE';
}

/** An idempotency key already used by another request (other operation, input or precondition). */
export class IdempotencyKeyReusedError extends SessionServiceError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
}

/** The detail of IDEMPOTENCY_KEY_REUSED: which operation the key's (or callId's) first request was. */
export function keyUsedBy(operation: string, field = 'idempotencyKey'): ErrorDetail {
  return { path: field, message: `was used by ${operation}` };
}

export class PayloadTooLargeError extends SessionServiceError {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'PAYLOAD_TOO_LARGE';
}

export class UnsupportedMediaTypeError extends SessionServiceError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}

/** DynamoDB could not be reached, or kept throttling after the SDK's retries. Safe to retry later. */
export class UnavailableError extends SessionServiceError {
  // Widened so that a subclass can name itself.
  override readonly name: string = 'UnavailableError';
  readonly code = 'UNAVAILABLE';
}

/**
 * The stored session has a shape this version of the service cannot read: written by a newer version (a
 * rollback after it wrote), or by none. Nothing is read or written; after the rollout completes it reads.
 */
export class ItemVersionError extends UnavailableError {
  override readonly name = 'ItemVersionError';
}

/** Anything unexpected, as seen by a caller: the message is generic and the cause stays in the log. */
export class InternalError extends SessionServiceError {
  override readonly name = 'InternalError';
  readonly code = 'INTERNAL';
}

const ERROR_CLASSES: Record<
  ErrorCode,
  new (
    message: string,
    options?: ErrorOptions & { details?: ErrorDetail[] },
  ) => SessionServiceError
> = {
  VALIDATION_FAILED: ValidationError,
  UNAUTHORIZED: UnauthorizedError,
  FORBIDDEN: ForbiddenError,
  NOT_FOUND: NotFoundError,
  VERSION_CONFLICT: VersionConflictError,
  SESSION_TOO_LARGE: SessionTooLargeError,
  IDEMPOTENCY_KEY_REUSED: IdempotencyKeyReusedError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
  UNAVAILABLE: UnavailableError,
  INTERNAL: InternalError,
};

/** Rebuilds the typed error from an `{code, message, details}` body; an unknown code becomes INTERNAL. */
export function errorFromBody(body: {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}): SessionServiceError {
  // Own keys only: a code such as "constructor" must not reach Object.prototype.
  const ErrorClass =
    typeof body.code === 'string' && Object.hasOwn(ERROR_CLASSES, body.code)
      ? ERROR_CLASSES[body.code as ErrorCode]
      : InternalError;
  const message = typeof body.message === 'string' ? body.message : 'the session service failed';
  const details = Array.isArray(body.details) ? (body.details as ErrorDetail[]) : [];
  return new ErrorClass(message, { details });
}
