/**
 * What every function shares, built once per cold start: the configuration, the logger and the
 * repository on the shared DynamoDB client, and the metrics once first needed. A missing setting fails
 * here, before any request.
 * Only the handler stacks import this module (the linter enforces it); tests inject their own pieces.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { loadConfig, loadLogIdKey } from '../config.ts';
import { createDocumentClient } from '../store/dynamodb.ts';
import { SessionRepository } from '../store/session-repository.ts';
import { SessionIndex } from '../sweep/session-index.ts';

export const config = loadConfig();

/** The key of the user's pseudonym in the session functions' logs; checked at cold start like the rest. */
export const logIdKey = loadLogIdKey();

export const logger = new Logger({ serviceName: config.serviceName });

let metrics: Promise<Metrics> | undefined;

/**
 * The functions' EMF metrics (see lib/handlers/metrics.ts), loaded and built on first use: most session
 * invocations publish nothing, so a cold start does not load the module.
 */
export function loadMetrics(): Promise<Metrics> {
  metrics ??= import('@aws-lambda-powertools/metrics').then(
    ({ Metrics }) => new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
  );
  return metrics;
}

export const documentClient = createDocumentClient({
  endpoint: config.dynamodbEndpoint,
  region: config.region,
  placeholderCredentials: config.placeholderCredentials,
  requestTimeoutMs: config.dynamodb.requestTimeoutMs,
  maxAttempts: config.dynamodb.maxAttempts,
});

const storeOptions = {
  tableName: config.tableName,
  inactiveDays: config.inactiveDays,
  activityShards: config.activityShards,
  activityBucketMs: config.activityBucketMs,
};

export const repository = new SessionRepository(documentClient, storeOptions);

/** The sweep's reader of the `byUpdatedAt` index. */
export const sessionIndex = new SessionIndex(documentClient, storeOptions);
