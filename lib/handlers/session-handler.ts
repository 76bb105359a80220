/**
 * The one middleware stack behind every session function. A function describes its operation (how to
 * read HTTP and direct-invocation input, what to call, how to answer); the stack routes the event,
 * logs with the request id, turns every error into the caller's error shape, and publishes the
 * operation's metrics from the response.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Config } from '../config.ts';
import { UnavailableError } from '../errors.ts';
import { logIdOf } from '../log-id.ts';
import type { SessionRepository } from '../store/session-repository.ts';
import { toErrorBody } from './error-response.ts';
import {
  type HttpRequest,
  type HttpResult,
  httpErrorResponse,
  httpResponse,
  isHttpEvent,
  parseHttpRequest,
} from './http.ts';
import { operationMetrics } from './metrics.ts';
import * as runtime from './runtime.ts';

/** Margin before the Lambda deadline at which a request still running is answered with 503. */
export const TIMEOUT_EARLY_MS = 500;

export interface SessionOperation<Input, Result> {
  /** The function's name in serverless.yml: the `operation` dimension of its metrics. */
  name: string;
  fromHttp(request: HttpRequest): Input;
  fromInvoke(payload: unknown): Input;
  run(input: Input, sessions: SessionRepository): Promise<Result>;
  toHttp(result: Result): HttpResult;
  toInvoke(result: Result): Record<string, unknown>;
}

type Response = APIGatewayProxyStructuredResultV2 | Record<string, unknown>;

/** What a session handler runs on; production takes every piece from lib/handlers/runtime.ts. */
export interface SessionHandlerDependencies {
  repository: SessionRepository;
  config: Pick<Config, 'ownerClaim'>;
  logger: Logger;
  metrics: Metrics;
  /** The HMAC key of the user's pseudonym in the logs (LOG_ID_KEY). */
  logIdKey: string;
}

/**
 * The user id a request names, as it arrives (the decoded path parameter, or the payload's `userId`),
 * before any validation: a request refused for its input is traced like any other. Undefined when there
 * is none to read.
 */
function requestedUserId(event: unknown): string | undefined {
  if (isHttpEvent(event)) {
    const raw = event.pathParameters?.userId;
    if (raw === undefined) return undefined;
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  const userId = (event as { userId?: unknown } | null)?.userId;
  return typeof userId === 'string' ? userId : undefined;
}

/**
 * Puts the user's pseudonym (`logId`, lib/log-id.ts) on every line the request logs, and never the id:
 * an operator holding the key finds one person's requests (`npm run privacy -- log-id <userId>`).
 * The logger's `resetKeys` drops it when the invocation ends. At DEBUG, every request also logs one line,
 * so a stage can be traced request by request while it needs to.
 */
function pseudonymousLogs(logger: Logger, logIdKey: string): MiddlewareObj<unknown, Response> {
  return {
    before: async (request) => {
      const userId = requestedUserId(request.event);
      if (userId !== undefined) logger.appendKeys({ logId: logIdOf(userId, logIdKey) });
    },
    after: async () => {
      logger.debug('request answered');
    },
  };
}

/** Answers every failure in the caller's shape: an HTTP error response, or an `ok: false` envelope. */
function errorResponder(logger: Logger): MiddlewareObj<unknown, Response> {
  return {
    onError: async (request) => {
      const { status, error } = toErrorBody(request.error);
      if (status >= 500) {
        logger.error('request failed', {
          code: error.code,
          error: request.error as Error,
        });
      } else {
        logger.info('request rejected', { code: error.code, status });
      }
      request.response = isHttpEvent(request.event) ? httpErrorResponse(status, error) : { ok: false, error };
    },
  };
}

/**
 * The Lambda handler of one session operation, serving HTTP events and direct invocations alike.
 * Each dependency not given is the runtime's shared one.
 */
export function sessionHandler<Input, Result>(
  operation: SessionOperation<Input, Result>,
  dependencies: Partial<SessionHandlerDependencies> = {},
) {
  const {
    repository: sessions = runtime.repository,
    config = runtime.config,
    logger = runtime.logger,
    metrics,
    logIdKey = runtime.logIdKey,
  } = dependencies;
  const loadMetrics = metrics ? async () => metrics : runtime.loadMetrics;
  return (
    middy<unknown, Response, Error, Context>({
      // Answer 503 just before the Lambda deadline rather than let the invocation time out.
      timeoutEarlyInMillis: TIMEOUT_EARLY_MS,
      timeoutEarlyResponse: () => {
        throw new UnavailableError('the request did not finish in time');
      },
    })
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(pseudonymousLogs(logger, logIdKey))
      // Before the error responder, so that it counts the response the responder has made.
      .use(operationMetrics(loadMetrics, operation.name))
      .use(errorResponder(logger))
      .handler(async (event) => {
        if (isHttpEvent(event)) {
          const request = parseHttpRequest(event, config.ownerClaim);
          const result = await operation.run(operation.fromHttp(request), sessions);
          return httpResponse(operation.toHttp(result));
        }
        const result = await operation.run(operation.fromInvoke(event), sessions);
        return operation.toInvoke(result);
      })
  );
}
