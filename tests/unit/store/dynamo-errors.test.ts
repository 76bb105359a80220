import { describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError, ValidationError } from '../../../lib/errors.ts';
import { isConditionFailed, translateDynamoError } from '../../../lib/store/dynamo-errors.ts';

const sdkError = (name: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...fields });

describe('translateDynamoError', () => {
  it.each([
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'RequestLimitExceeded',
    'InternalServerError',
    'ServiceUnavailable',
    'TimeoutError',
    'RequestTimeout',
    'RequestTimeoutException',
  ])('makes %s UNAVAILABLE, keeping it as the cause', (name) => {
    const error = sdkError(name);
    const translated = translateDynamoError(error);
    expect(translated).toBeInstanceOf(UnavailableError);
    expect((translated as UnavailableError).cause).toBe(error);
  });

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
  ])('makes the network error %s UNAVAILABLE', (code) => {
    expect(translateDynamoError(Object.assign(new Error('socket'), { code }))).toBeInstanceOf(
      UnavailableError,
    );
  });

  it.each([500, 502, 503, 504])('makes any HTTP %d UNAVAILABLE', (httpStatusCode) => {
    expect(translateDynamoError(sdkError('UnknownError', { $metadata: { httpStatusCode } }))).toBeInstanceOf(
      UnavailableError,
    );
  });

  it.each([
    ['Item size has exceeded the maximum allowed size'],
    ['Item size to update has exceeded the maximum allowed size'],
    [
      'Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; expression size: 4097',
    ],
  ])('makes a ValidationException "%s" VALIDATION_FAILED', (message) => {
    expect(translateDynamoError(sdkError('ValidationException', { message }))).toBeInstanceOf(
      ValidationError,
    );
  });

  it.each([
    ['a failed condition', sdkError('ConditionalCheckFailedException')],
    [
      'another ValidationException',
      sdkError('ValidationException', { message: 'One or more parameter values were invalid' }),
    ],
    ['a missing table', sdkError('ResourceNotFoundException', { $metadata: { httpStatusCode: 400 } })],
    ['a programming error', new TypeError('x is undefined')],
  ])('returns %s untouched', (_name, error) => {
    expect(translateDynamoError(error)).toBe(error);
  });

  it.each([
    ['a service error', new NotFoundError('gone')],
    ['a string', 'boom'],
    ['null', null],
    ['undefined', undefined],
  ])('returns %s untouched', (_name, value) => {
    expect(translateDynamoError(value)).toBe(value);
  });
});

describe('isConditionFailed', () => {
  it.each([
    [sdkError('ConditionalCheckFailedException'), true],
    [sdkError('TransactionCanceledException'), false],
    [new Error('ConditionalCheckFailedException'), false],
    [undefined, false],
    [null, false],
  ])('tells %o: %s', (error, expected) => {
    expect(isConditionFailed(error)).toBe(expected);
  });
});
