import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** A fake Lambda context with a deadline `remainingMs` from now. */
export function lambdaContext(functionName = 'session-service-test', remainingMs = 10_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface HttpEventOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** The JWT `sub`; the path user by default, none with null. */
  sub?: string | null;
  /** The raw (encoded) path parameter; `encodeURIComponent(userId)` by default. */
  rawUserId?: string;
}

/** An API Gateway HTTP API (payload v2) event as the JWT authorizer passes it on. */
export function httpEvent(
  method: string,
  userId: string,
  options: HttpEventOptions = {},
): APIGatewayProxyEventV2 {
  const rawUserId = options.rawUserId ?? encodeURIComponent(userId);
  const path = method === 'POST' ? `/sessions/${rawUserId}/clear` : `/sessions/${rawUserId}`;
  const headers: Record<string, string> = {
    authorization: 'Bearer header.payload.signature',
    ...options.headers,
  };
  let body = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const sub = options.sub === undefined ? userId : options.sub;
  return {
    version: '2.0',
    routeKey: `${method} ${method === 'POST' ? '/sessions/{userId}/clear' : '/sessions/{userId}'}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    pathParameters: { userId: rawUserId },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: crypto.randomUUID(),
      routeKey: `${method} /sessions/{userId}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      ...(sub === null ? {} : { authorizer: { jwt: { claims: { sub }, scopes: [] } } }),
    },
    body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}
