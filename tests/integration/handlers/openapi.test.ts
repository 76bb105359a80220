/**
 * The contract checks themselves: real answers of every route match docs/openapi.yaml with their
 * required headers, and the checker refuses what it must (an ambiguous oneOf, a missing header).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { handler as clear } from '../../../functions/clear.ts';
import { handler as createOrGet } from '../../../functions/create-or-get.ts';
import { handler as remove } from '../../../functions/delete.ts';
import { handler as get } from '../../../functions/get-session.ts';
import { handler as update } from '../../../functions/update.ts';
import { UnauthorizedError } from '../../../lib/errors.ts';
import { toErrorBody } from '../../../lib/handlers/error-response.ts';
import { LIMITS, userIdSchema } from '../../../lib/session/schema.ts';
import { uniqueUserId } from '../../support/dynamo.ts';
import {
  httpEvent,
  type LambdaHandler,
  lambdaContext,
  type Method,
  readHttp,
} from '../../support/lambda-events.ts';
import { assertMatchesOpenApi, openApiChecker } from '../../support/openapi.ts';

const ROUTE = '/sessions/{userId}';
const CLEAR_ROUTE = '/sessions/{userId}/clear';

async function call(handler: LambdaHandler, method: Method, userId: string, body?: string) {
  const answer = readHttp(await handler(httpEvent(method, userId, body ? { body } : {}), lambdaContext()));
  assertMatchesOpenApi(
    method === 'POST' ? CLEAR_ROUTE : ROUTE,
    method,
    answer.status,
    answer.json,
    answer.headers,
  );
  return answer;
}

describe('docs/openapi.yaml against the service', () => {
  it('matches every route’s answers, with ETag, Location and Cache-Control: no-store where documented', async () => {
    const userId = uniqueUserId('wa');

    const answers = [
      await call(createOrGet, 'PUT', userId),
      await call(createOrGet, 'PUT', userId),
      await call(get, 'GET', userId),
      await call(update, 'PATCH', userId, '{"step":"pick_time","context":null}'),
      await call(clear, 'POST', userId),
      await call(remove, 'DELETE', userId),
      await call(get, 'GET', userId),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([201, 200, 200, 200, 200, 204, 404]);
    for (const answer of answers) expect(answer.headers['Cache-Control']).toBe('no-store');
  });

  it('tells the service’s 401 envelope from API Gateway’s body: each matches one branch of the oneOf', () => {
    const { error } = toErrorBody(new UnauthorizedError('a valid bearer token is required'));

    expect(() =>
      assertMatchesOpenApi(ROUTE, 'GET', 401, { error }, { 'Cache-Control': 'no-store' }),
    ).not.toThrow();
    expect(() => assertMatchesOpenApi(ROUTE, 'GET', 401, { message: 'Unauthorized' }, {})).not.toThrow();
    expect(() => assertMatchesOpenApi(ROUTE, 'GET', 429, { message: 'Too Many Requests' }, {})).not.toThrow();
    expect(() => assertMatchesOpenApi(ROUTE, 'GET', 401, { error, message: 'both' }, {})).toThrow();
  });

  it('documents 413 and 415 only where a body is read', () => {
    const { error } = toErrorBody(new UnauthorizedError('x'));
    const body = { error: { ...error, code: 'PAYLOAD_TOO_LARGE' } };
    const headers = { 'Cache-Control': 'no-store' };

    expect(() => assertMatchesOpenApi(ROUTE, 'GET', 413, body, headers)).toThrow(
      /does not document status 413/,
    );
    expect(() => assertMatchesOpenApi(ROUTE, 'GET', 415, body, headers)).toThrow(
      /does not document status 415/,
    );
    expect(() => assertMatchesOpenApi(ROUTE, 'PATCH', 413, body, headers)).not.toThrow();
  });
});

describe('docs/openapi.yaml against the schema', () => {
  const document = parse(readFileSync(new URL('../../../docs/openapi.yaml', import.meta.url), 'utf8'));

  it.each([
    'wa:+447700900123',
    'web:ada@example.com',
    'a.b',
    '.a',
    '.',
    '..',
    '...',
    'a b',
    '',
    'x'.repeat(LIMITS.userIdLength),
    'x'.repeat(LIMITS.userIdLength + 1),
    'é',
  ])('agrees with the service on the userId %j', (userId) => {
    const pattern = new RegExp(document.components.parameters.UserId.schema.pattern);
    const sessionPattern = new RegExp(document.components.schemas.Session.properties.userId.pattern);

    const accepted = userIdSchema.safeParse(userId).success;

    expect(pattern.test(userId)).toBe(accepted);
    expect(sessionPattern.test(userId)).toBe(accepted);
  });
});

describe('the OpenAPI checker', () => {
  const document = {
    openapi: '3.1.0',
    paths: {
      '/thing': {
        get: {
          responses: {
            '200': {
              headers: {
                ETag: { required: true, schema: { type: 'string', pattern: '^"[^"]+"$' } },
                Hint: { schema: { type: 'string' } },
              },
              content: {
                'application/json': {
                  schema: {
                    oneOf: [
                      { type: 'object', required: ['error'] },
                      { type: 'object', properties: { message: { type: 'string' } } },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    },
  };
  const checker = openApiChecker(document);

  it('refuses a body that matches more than one branch of a oneOf', () => {
    expect(() => checker.assertMatches('/thing', 'GET', 200, { error: {} }, { etag: '"1"' })).toThrow(
      /matches 2 branches \(0, 1\) of the oneOf/,
    );
  });

  it('refuses an answer without a documented required header, or with a value its schema refuses', () => {
    expect(() => checker.assertMatches('/thing', 'GET', 200, { message: 'x' }, {})).toThrow(
      /required header ETag is missing/,
    );
    expect(() => checker.assertMatches('/thing', 'GET', 200, { message: 'x' }, { ETag: '1' })).toThrow(
      /header ETag/,
    );
    expect(() =>
      checker.assertMatches('/thing', 'GET', 200, { message: 'x' }, new Headers({ etag: '"a.1"' })),
    ).not.toThrow();
  });

  it('refuses an undocumented status', () => {
    expect(() => checker.assertMatches('/thing', 'GET', 418, undefined, {})).toThrow(
      /does not document status 418/,
    );
  });
});
