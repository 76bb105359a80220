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

export type Method = 'PUT' | 'GET' | 'PATCH' | 'POST' | 'DELETE';
export const METHODS: readonly Method[] = ['PUT', 'GET', 'PATCH', 'POST', 'DELETE'];

/** The function behind each route, named like its module in functions/. */
export type FunctionName =
  | 'create-or-get'
  | 'get-session'
  | 'update'
  | 'clear'
  | 'delete'
  | 'erase'
  | 'export-user';
export const FUNCTION_OF: Record<Method, FunctionName> = {
  PUT: 'create-or-get',
  GET: 'get-session',
  PATCH: 'update',
  POST: 'clear',
  DELETE: 'delete',
};

/** A Lambda handler as the runtime calls it. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The function timeout in serverless.yml, which the fake context reports as the time left. */
export const FUNCTION_TIMEOUT_MS = 10_000;

/** A fake Lambda context; `remainingMs` is what getRemainingTimeInMillis answers (a number or a function). */
export function lambdaContext(
  remainingMs: number | (() => number) = FUNCTION_TIMEOUT_MS,
  functionName = 'session-service-test',
): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/26/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: typeof remainingMs === 'function' ? remainingMs : () => remainingMs,
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
  /** The route's path after `/sessions/{userId}`; POST defaults to `/clear`, the others to none. */
  suffix?: '' | '/clear' | '/erase';
  /** The raw body text (or base64 text when `isBase64Encoded`). */
  body?: string;
  /** A body to send as JSON; an alternative to `body`. */
  json?: unknown;
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
  const suffix = options.suffix ?? (method === 'POST' ? '/clear' : '');
  const path = `/sessions/${rawUserId ?? ''}${suffix}`;
  const sub = options.sub === undefined ? userId : options.sub;
  const now = Date.now();
  const body = options.json === undefined ? options.body : JSON.stringify(options.json);
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
