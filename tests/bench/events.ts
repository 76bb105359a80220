/**
 * Real API Gateway HTTP API (payload format 2.0) events with a JWT authorizer, and a Lambda context,
 * shaped as AWS delivers them, so the handlers run exactly the code they run when deployed.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { LOCAL_JWT, localToken } from '../../lib/local/token.ts';

export type Route = 'PUT' | 'GET' | 'PATCH' | 'DELETE' | 'POST /clear';

const ROUTE_KEYS: Record<Route, { method: string; routeKey: string; suffix: string }> = {
  PUT: { method: 'PUT', routeKey: 'PUT /sessions/{userId}', suffix: '' },
  GET: { method: 'GET', routeKey: 'GET /sessions/{userId}', suffix: '' },
  PATCH: { method: 'PATCH', routeKey: 'PATCH /sessions/{userId}', suffix: '' },
  DELETE: { method: 'DELETE', routeKey: 'DELETE /sessions/{userId}', suffix: '' },
  'POST /clear': { method: 'POST', routeKey: 'POST /sessions/{userId}/clear', suffix: '/clear' },
};

export interface HttpEventOptions {
  route: Route;
  userId: string;
  /** Sent as JSON with `Content-Type: application/json`; omitted when undefined. */
  body?: unknown;
  /** The version for `If-Match: "<version>"`; no If-Match header when undefined. */
  ifMatch?: number | undefined;
}

/** An HTTP API v2 event for `route` on behalf of `userId`, as the JWT authorizer passes it on. */
export function httpEvent(options: HttpEventOptions): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { method, routeKey, suffix } = ROUTE_KEYS[options.route];
  const encodedUserId = encodeURIComponent(options.userId);
  const rawPath = `/sessions/${encodedUserId}${suffix}`;
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const now = Date.now();
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `Bearer ${localToken(options.userId)}`,
    'content-type': 'application/json',
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'user-agent': 'session-bench',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: {
            sub: options.userId,
            iss: LOCAL_JWT.issuer,
            aud: LOCAL_JWT.audience,
            iat: Math.floor(now / 1000),
            exp: Math.floor(now / 1000) + 3600,
          },
          scopes: [],
        },
      },
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'session-bench',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    pathParameters: { userId: encodedUserId },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** A Lambda context with 10 s left, the functions' configured timeout. */
export function lambdaContext(functionName: string, remainingMs = 10_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/26/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
