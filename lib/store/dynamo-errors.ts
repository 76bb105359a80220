import { SessionServiceError, UnavailableError, ValidationError } from '../errors.ts';

/** Errors that mean "DynamoDB cannot serve this now", after the SDK has spent its retries. */
const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isConditionFailed(error: unknown): boolean {
  return (error as AwsLikeError | undefined)?.name === 'ConditionalCheckFailedException';
}

/**
 * Maps what the SDK throws to the service's errors: unreachable or throttled DynamoDB becomes
 * UnavailableError and an item over DynamoDB's size limit a ValidationError. Anything else, including
 * a failed condition, is returned untouched for the caller to handle or rethrow.
 */
export function translateDynamoError(error: unknown): unknown {
  if (error instanceof SessionServiceError || typeof error !== 'object' || error === null) return error;
  const { name = '', code = '', message = '', $metadata } = error as AwsLikeError;
  if (UNAVAILABLE_NAMES.has(name) || NETWORK_CODES.has(code) || ($metadata?.httpStatusCode ?? 0) >= 500) {
    return new UnavailableError('the session store is unavailable; try again shortly', { cause: error });
  }
  if (name === 'ValidationException' && /item size/i.test(message)) {
    return new ValidationError('the session would exceed the maximum size of an item', { cause: error });
  }
  if (name === 'ValidationException' && /expression size/i.test(message)) {
    return new ValidationError('the change is too large for one write; send it in parts', { cause: error });
  }
  return error;
}
