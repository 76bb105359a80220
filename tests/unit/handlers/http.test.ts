import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SessionServiceError } from '../../../lib/errors.ts';
import {
  httpErrorResponse,
  httpResponse,
  isHttpEvent,
  parseHttpRequest,
} from '../../../lib/handlers/http.ts';
import { LIMITS } from '../../../lib/session/schema.ts';
import type { Session } from '../../../lib/session/session.ts';
import { type HttpRequestOptions, httpEvent } from '../../support/lambda-events.ts';

const USER = 'wa:+447700900123';

const parse = (options: HttpRequestOptions = {}, ownerClaim = 'sub') =>
  parseHttpRequest(httpEvent('PATCH', USER, options), ownerClaim);

/** The code of the error `act` throws, or 'none'. */
function codeOf(act: () => unknown): string {
  try {
    act();
    return 'none';
  } catch (error) {
    if (error instanceof SessionServiceError) return error.code;
    throw error;
  }
}

describe('isHttpEvent', () => {
  it.each([
    ['an HTTP API v2 event', httpEvent('GET', USER), true],
    ['a direct-invocation payload', { userId: USER }, false],
    [
      'a payload that claims version 2.0 without requestContext.http',
      { version: '2.0', requestContext: {} },
      false,
    ],
    ['a REST API v1 event', { version: '1.0', requestContext: { http: {} } }, false],
    ['null', null, false],
    ['a string', '2.0', false],
  ])('tells %s', (_name, event, expected) => {
    expect(isHttpEvent(event)).toBe(expected);
  });
});

describe('parseHttpRequest', () => {
  describe('who is calling', () => {
    it('accepts the owner and decodes the path parameter', () => {
      expect(parse()).toEqual({
        userId: USER,
        ifMatch: undefined,
        idempotencyKey: undefined,
        body: undefined,
      });
    });

    it('reads the owner from the configured claim', () => {
      const event = httpEvent('GET', USER, { sub: 'someone-else' });
      const claims = event.requestContext.authorizer.jwt.claims as Record<string, string>;
      claims.uid = USER;
      expect(parseHttpRequest(event, 'uid').userId).toBe(USER);
    });

    it.each([
      ['no claims', { sub: null }, 'UNAUTHORIZED'],
      ['an empty sub', { sub: '' }, 'UNAUTHORIZED'],
      ['another user', { sub: 'wa:+447700900999' }, 'FORBIDDEN'],
      [
        'a path that is not correctly URL-encoded',
        { rawUserId: '%E0%A4%A', sub: '%E0%A4%A' },
        'VALIDATION_FAILED',
      ],
      ['no path parameter', { rawUserId: null, sub: 'x' }, 'FORBIDDEN'],
      ['a user id that breaks the rules', { rawUserId: 'a%20b', sub: 'a b' }, 'VALIDATION_FAILED'],
      ['a user id of dots only', { rawUserId: '..', sub: '..' }, 'VALIDATION_FAILED'],
    ] as [string, HttpRequestOptions, string][])('refuses %s with %s', (_name, options, code) => {
      expect(codeOf(() => parse(options))).toBe(code);
    });

    it('checks ownership before anything in the body', () => {
      expect(codeOf(() => parse({ sub: 'other', body: '{', contentType: 'text/plain' }))).toBe('FORBIDDEN');
    });
  });

  describe('If-Match', () => {
    const LIFETIME = '6f1c2a4e-0000-4000-8000-000000000000';
    it.each([
      [undefined, undefined],
      ['*', {}],
      [' * ', {}],
      [`"${LIFETIME}.1"`, { expectedSessionId: LIFETIME, expectedVersion: 1 }],
      [` "${LIFETIME}.42" `, { expectedSessionId: LIFETIME, expectedVersion: 42 }],
      [`"${LIFETIME}.9007199254740991"`, { expectedSessionId: LIFETIME, expectedVersion: 9007199254740991 }],
      // Well-formed tags that can match no session: kept, so they fail as a precondition (412).
      [`"${LIFETIME}.99999999999999999999"`, { expectedSessionId: LIFETIME, expectedVersion: 1e20 }],
      ['"7"', { expectedSessionId: '-', expectedVersion: 7 }],
      ['"12345678901234567"', { expectedSessionId: '-', expectedVersion: Number('12345678901234567') }],
    ])('reads %j as %j', (value, expected) => {
      const headers: Record<string, string> = value === undefined ? {} : { 'if-match': value };
      expect(parse({ headers }).ifMatch).toEqual(expected);
    });

    it.each([
      'W/"1"',
      '"1", "2"',
      '1',
      '"0"',
      '"01"',
      '"-1"',
      '"1.5"',
      '""',
      'abc',
      '"123456789012345678901"',
      `W/"${LIFETIME}.1"`,
      `"${LIFETIME}.0"`,
      `"${LIFETIME}."`,
      `"${LIFETIME.toUpperCase()}.1"`,
      `"${LIFETIME}.1", "${LIFETIME}.2"`,
    ])('refuses %j with VALIDATION_FAILED naming If-Match', (value) => {
      expect(() => parse({ headers: { 'if-match': value } })).toThrow(
        expect.objectContaining({
          code: 'VALIDATION_FAILED',
          details: [expect.objectContaining({ path: 'If-Match' })],
        }),
      );
    });

    it('reads an event with no headers at all', () => {
      const event: APIGatewayProxyEventV2 = { ...httpEvent('GET', USER) };
      delete (event as Partial<APIGatewayProxyEventV2>).headers;
      expect(parseHttpRequest(event, 'sub')).toMatchObject({ userId: USER, ifMatch: undefined });
    });

    it('finds the header under any casing', () => {
      expect(parse({ headers: { 'If-Match': `"${LIFETIME}.3"` } }).ifMatch).toEqual({
        expectedSessionId: LIFETIME,
        expectedVersion: 3,
      });
    });
  });

  describe('Idempotency-Key', () => {
    it.each(['a', 'msg-123', ' spaced key ', 'x'.repeat(255), '~!"#$%'])('reads %j as it is', (value) => {
      expect(parse({ headers: { 'idempotency-key': value } }).idempotencyKey).toBe(value);
    });

    it.each(['', 'x'.repeat(256), 'tab\there', 'caf\u00e9', 'line\nbreak'])(
      'refuses %j with VALIDATION_FAILED naming Idempotency-Key',
      (value) => {
        expect(() => parse({ headers: { 'idempotency-key': value } })).toThrow(
          expect.objectContaining({
            code: 'VALIDATION_FAILED',
            details: [expect.objectContaining({ path: 'Idempotency-Key' })],
          }),
        );
      },
    );
  });

  describe('the body', () => {
    it.each([
      ['no body', {}, undefined],
      ['an empty body', { body: '' }, undefined],
      ['a JSON object', { json: { step: 'a' } }, { step: 'a' }],
      ['JSON null', { body: 'null' }, null],
      ['a JSON array', { body: '[1]' }, [1]],
      [
        'a base64-encoded body',
        { body: Buffer.from('{"step":"b"}').toString('base64'), isBase64Encoded: true },
        { step: 'b' },
      ],
    ] as [string, HttpRequestOptions, unknown][])('parses %s', (_name, options, expected) => {
      expect(parse(options).body).toEqual(expected);
    });

    it.each([
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/merge-patch+json',
      'application/vnd.api+json;charset=UTF-8',
    ])('accepts the media type %j', (contentType) => {
      expect(parse({ json: {}, contentType }).body).toEqual({});
    });

    it.each([
      ['no Content-Type', null],
      ['text/plain', 'text/plain'],
      ['application/xml', 'application/xml'],
      ['application/jsonp', 'application/jsonp'],
      ['multipart/form-data', 'multipart/form-data'],
    ])('refuses a body with %s as UNSUPPORTED_MEDIA_TYPE', (_name, contentType) => {
      expect(codeOf(() => parse({ json: {}, contentType }))).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it.each([
      ['malformed JSON', { body: '{"step":' }, 'VALIDATION_FAILED'],
      [
        'a body one byte over the limit',
        { body: `"${'x'.repeat(LIMITS.bodyBytes - 1)}"` },
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'a base64 body that decodes to more than the limit',
        { body: Buffer.alloc(LIMITS.bodyBytes + 1, 32).toString('base64'), isBase64Encoded: true },
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'an oversized body even without a Content-Type',
        { body: 'x'.repeat(LIMITS.bodyBytes + 1), contentType: null },
        'PAYLOAD_TOO_LARGE',
      ],
    ] as [string, HttpRequestOptions, string][])('refuses %s with %s', (_name, options, code) => {
      expect(codeOf(() => parse(options))).toBe(code);
    });

    it('accepts a body of exactly the limit', () => {
      const body = `"${'x'.repeat(LIMITS.bodyBytes - 2)}"`;
      expect(Buffer.byteLength(body)).toBe(LIMITS.bodyBytes);
      expect(parse({ body }).body).toHaveLength(LIMITS.bodyBytes - 2);
    });
  });
});

const SESSION: Session = {
  userId: USER,
  sessionId: '6f1c2a4e-0000-4000-8000-000000000000',
  source: 'Chatbot',
  version: 3,
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:05:00.000Z',
  expiresAt: '2026-12-26T10:05:00.000Z',
  step: null,
  booking: {},
  context: {},
};

describe('httpResponse', () => {
  it('answers a session as JSON with its entity tag', () => {
    const response = httpResponse({ status: 200, session: SESSION });
    expect(response).toMatchObject({ statusCode: 200, headers: { 'Content-Type': 'application/json' } });
    expect(response.headers?.ETag).toBe(`"${SESSION.sessionId}.${SESSION.version}"`);
    expect(response.headers?.['Idempotent-Replayed']).toBeUndefined();
    expect(JSON.parse(String(response.body))).toEqual(SESSION);
  });

  it('adds the operation headers', () => {
    const response = httpResponse({ status: 201, session: SESSION, headers: { Location: '/sessions/x' } });
    expect(response.headers).toMatchObject({ Location: '/sessions/x', 'Content-Type': 'application/json' });
  });

  it('marks a replayed answer, with a session or without one', () => {
    expect(httpResponse({ status: 200, session: SESSION, replayed: true }).headers).toMatchObject({
      'Idempotent-Replayed': 'true',
    });
    expect(httpResponse({ status: 204, replayed: true }).headers).toMatchObject({
      'Idempotent-Replayed': 'true',
    });
  });

  it('answers without a body when there is no session', () => {
    const response = httpResponse({ status: 204 });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBeUndefined();
    expect(response.headers?.['Content-Type']).toBeUndefined();
  });
});

describe('httpErrorResponse', () => {
  it('wraps the error in {error} as JSON', () => {
    const error = { code: 'NOT_FOUND', message: 'session not found', details: [] };
    const response = httpErrorResponse(404, error);
    expect(response).toMatchObject({ statusCode: 404, headers: { 'Content-Type': 'application/json' } });
    expect(JSON.parse(String(response.body))).toEqual({ error });
  });
});
