import { describe, expect, it } from 'vitest';
import {
  type ErrorCode,
  errorFromBody,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InternalError,
  NotFoundError,
  PayloadTooLargeError,
  SessionServiceError,
  SessionTooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
  VersionConflictError,
} from '../../lib/errors.ts';
import { HTTP_STATUS, toErrorBody } from '../../lib/handlers/error-response.ts';

/** Every error class with the code it carries; a new code fails the exhaustiveness test below. */
const CLASSES = [
  [ValidationError, 'VALIDATION_FAILED'],
  [UnauthorizedError, 'UNAUTHORIZED'],
  [ForbiddenError, 'FORBIDDEN'],
  [NotFoundError, 'NOT_FOUND'],
  [VersionConflictError, 'VERSION_CONFLICT'],
  [SessionTooLargeError, 'SESSION_TOO_LARGE'],
  [IdempotencyKeyReusedError, 'IDEMPOTENCY_KEY_REUSED'],
  [PayloadTooLargeError, 'PAYLOAD_TOO_LARGE'],
  [UnsupportedMediaTypeError, 'UNSUPPORTED_MEDIA_TYPE'],
  [UnavailableError, 'UNAVAILABLE'],
  [InternalError, 'INTERNAL'],
] as const;

const DETAILS = [{ path: 'booking.date', message: 'must be a real date (YYYY-MM-DD)' }];

describe('the error classes', () => {
  it.each(CLASSES)('%o carries its code, its name, details and cause', (ErrorClass, code) => {
    const cause = new Error('root');
    const error = new ErrorClass('message', { details: DETAILS, cause });
    expect(error).toBeInstanceOf(SessionServiceError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(ErrorClass.name);
    expect(error.details).toEqual(DETAILS);
    expect(error.cause).toBe(cause);
  });

  it('defaults the details to none', () => {
    expect(new NotFoundError('gone').details).toEqual([]);
  });

  it('has one class per code the HTTP mapping knows', () => {
    expect(CLASSES.map(([, code]) => code).sort()).toEqual(Object.keys(HTTP_STATUS).sort());
  });
});

describe('errorFromBody', () => {
  it.each(CLASSES)('rebuilds %o from its code', (ErrorClass, code) => {
    const error = errorFromBody({ code, message: 'from the service', details: DETAILS });
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toMatchObject({ code, message: 'from the service', details: DETAILS });
  });

  it.each([
    ['an unknown code', { code: 'TEAPOT', message: 'short and stout' }],
    ['no code', { message: 'what happened' }],
    ['a code that is not a string', { code: 404 }],
    ['an inherited property name as code', { code: 'toString' }],
    ['"constructor" as code', { code: 'constructor' }],
  ])('makes INTERNAL of %s', (_name, body) => {
    expect(errorFromBody(body)).toBeInstanceOf(InternalError);
  });

  it.each([
    ['a missing message', {}],
    ['a message that is not a string', { message: { text: 'x' } }],
  ])('gives a generic message for %s', (_name, body) => {
    expect(errorFromBody({ code: 'NOT_FOUND', ...body }).message).toEqual(expect.any(String));
    expect(errorFromBody({ code: 'NOT_FOUND', ...body }).message).not.toBe('');
  });

  it.each([[undefined], ['details'], [{ path: 'x' }]])(
    'ignores details that are not a list (%j)',
    (details) => {
      expect(errorFromBody({ code: 'VALIDATION_FAILED', message: 'm', details }).details).toEqual([]);
    },
  );
});

describe('toErrorBody', () => {
  it.each(Object.entries(HTTP_STATUS) as [ErrorCode, number][])('maps %s to HTTP %d', (code, status) => {
    expect(toErrorBody(errorFromBody({ code, message: 'm' })).status).toBe(status);
  });

  it.each([
    ['SESSION_TOO_LARGE', 409],
    ['IDEMPOTENCY_KEY_REUSED', 422],
  ] as const)('answers %s with HTTP %d', (code, status) => {
    expect(HTTP_STATUS[code]).toBe(status);
  });

  it.each(CLASSES.filter(([, code]) => HTTP_STATUS[code] < 500))(
    'exposes the message and details of %o',
    (ErrorClass, code) => {
      expect(toErrorBody(new ErrorClass('what went wrong', { details: DETAILS }))).toEqual({
        status: HTTP_STATUS[code],
        error: { code, message: 'what went wrong', details: DETAILS },
      });
    },
  );

  it.each([
    ['an UnavailableError', new UnavailableError('table sessions-prod throttled', { details: DETAILS })],
    ['an InternalError', new InternalError('stack trace here', { details: DETAILS })],
  ])('hides the message and details of %s behind a generic one', (_name, error) => {
    const { error: body } = toErrorBody(error);
    expect(body.message).not.toContain(error.message);
    expect(body.details).toEqual([]);
  });

  it.each([
    ['a plain Error', new Error('ECONNREFUSED 10.0.0.1:443')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'Item')")],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['an SDK-like object', { name: 'ValidationException', message: 'table arn:aws:dynamodb:…' }],
  ])('makes %s an INTERNAL 500 that leaks nothing', (_name, thrown) => {
    const { status, error } = toErrorBody(thrown);
    expect(status).toBe(500);
    expect(error.code).toBe('INTERNAL');
    expect(error.details).toEqual([]);
    expect(JSON.stringify(error)).not.toMatch(/ECONNREFUSED|Cannot read|boom|arn:aws/);
  });
});
