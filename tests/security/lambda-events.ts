/**
 * Real-shaped Lambda inputs for calling the functions in-process: API Gateway HTTP API (payload v2)
 * events with a JWT authorizer, a Lambda context, and readers for what the functions answer.
 */
import { randomUUID } from 'node:crypto';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { expect } from 'vitest';
import type { ErrorCode } from '../../lib/errors.ts';

export type Method = 'PUT' | 'GET' | 'PATCH' | 'POST' | 'DELETE';
export const METHODS: readonly Method[] = ['PUT', 'GET', 'PATCH', 'POST', 'DELETE'];

/** The function behind each route, named like its module in functions/. */
export type FunctionName = 'create-or-get' | 'get' | 'update' | 'clear' | 'delete';
export const FUNCTION_OF: Record<Method, FunctionName> = {
  PUT: 'create-or-get',
  GET: 'get',
  PATCH: 'update',
  POST: 'clear',
  DELETE: 'delete',
};

/** A Lambda handler as the runtime calls it. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The function timeout in serverless.yml, which the fake context reports as the time left. */
export const FUNCTION_TIMEOUT_MS = 10_000;

export function lambdaContext(remainingMs = FUNCTION_TIMEOUT_MS): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'session-service-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:session-service-test',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/session-service-test',
    logStreamName: '2026/11/26/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface HttpRequestOptions {
  /** The `{userId}` path parameter as API Gateway passes it, still percent-encoded; null leaves it out. */
  rawUserId?: string | null;
  /** The JWT `sub` claim; null sends no claims at all. Defaults to the user id. */
  sub?: string | null;
  /** The raw body text (or base64 text when `isBase64Encoded`). */
  body?: string;
  /** Extra headers, lower-case as HTTP API sends them. */
  headers?: Record<string, string>;
  /** The Content-Type header; defaults to application/json when there is a body, null leaves it out. */
  contentType?: string | null;
  isBase64Encoded?: boolean;
}

/** An HTTP API payload v2 event for `method` on the session of `userId`, authorised as that user. */
export function httpEvent(
  method: Method,
  userId: string,
  options: HttpRequestOptions = {},
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const rawUserId = options.rawUserId === undefined ? encodeURIComponent(userId) : options.rawUserId;
  const suffix = method === 'POST' ? '/clear' : '';
  const path = `/sessions/${rawUserId ?? ''}${suffix}`;
  const sub = options.sub === undefined ? userId : options.sub;
  const now = Date.now();
  const body = options.body;
  const contentType =
    options.contentType === undefined && body !== undefined ? 'application/json' : options.contentType;
  return {
    version: '2.0',
    routeKey: `${method} /sessions/{userId}${suffix}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      accept: 'application/json',
      authorization: 'Bearer test-token',
      host: 'sessions.example.com',
      'user-agent': 'security-tests',
      ...(typeof contentType === 'string' ? { 'content-type': contentType } : {}),
      ...options.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      authorizer: {
        jwt: { claims: sub === null ? {} : { sub, iss: 'https://issuer.example/' }, scopes: [] },
        principalId: '',
        integrationLatency: 0,
      },
      domainName: 'sessions.example.com',
      domainPrefix: 'sessions',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'security-tests',
      },
      requestId: randomUUID(),
      routeKey: `${method} /sessions/{userId}${suffix}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(rawUserId === null ? {} : { pathParameters: { userId: rawUserId } }),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** An HTTP response as a caller sees it, with the body parsed when it is JSON. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  json: unknown;
}

export function readHttp(response: unknown): HttpAnswer {
  const result = response as APIGatewayProxyStructuredResultV2;
  const text = result.body ?? '';
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: result.statusCode ?? 0, headers: { ...result.headers }, text, json };
}

export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  details: { path: string; message: string }[];
}

/** The `{error}` of an HTTP error body, after checking it has exactly the documented shape. */
export function httpError(answer: HttpAnswer): ErrorEnvelope {
  expect(answer.headers['Content-Type']).toBe('application/json');
  const body = answer.json as { error: ErrorEnvelope };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(typeof body.error.message).toBe('string');
  expect(Array.isArray(body.error.details)).toBe(true);
  return body.error;
}

/** The `{error}` of a direct-invocation answer, after checking the `{ok: false, error}` envelope. */
export function invokeError(response: unknown): ErrorEnvelope {
  const answer = response as { ok: unknown; error: ErrorEnvelope };
  expect(Object.keys(answer).sort()).toEqual(['error', 'ok']);
  expect(answer.ok).toBe(false);
  expect(Object.keys(answer.error).sort()).toEqual(['code', 'details', 'message']);
  return answer.error;
}

/** What must never reach a caller: stack frames, SDK exception names, or anything about the store. */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\bat\s+(?:async\s+)?[\w$.<>[\]]*\s*\(?(?:file:|node:|\/)/],
  ['a stack line', /\n\s+at\s/],
  ['a source location', /\.(?:ts|js|cjs|mjs):\d+/],
  ['an SDK exception', /ValidationException|ConditionalCheckFailed|ResourceNotFound|Exception\b/],
  ['a network error', /ECONN|ETIMEDOUT|EPIPE|socket hang up/],
  ['the store', /dynamo|amazonaws|TableName|UpdateExpression|node_modules/i],
];

/** Fails when `text` (an error body) carries any detail that belongs in the log only. */
export function expectNoLeak(text: string): void {
  for (const [what, pattern] of LEAKS) {
    expect(pattern.test(text), `error body exposes ${what}: ${text.slice(0, 300)}`).toBe(false);
  }
}
