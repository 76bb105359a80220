/**
 * What every function shares, built once per cold start: the configuration, the logger and the
 * repository on the shared DynamoDB client. A missing setting fails here, before any request.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from './config.ts';
import { createDocumentClient } from './dynamodb.ts';
import { SessionRepository } from './session-repository.ts';

export const config = loadConfig();

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'session-service',
});

export const documentClient = createDocumentClient({
  endpoint: config.dynamodbEndpoint,
  requestTimeoutMs: config.dynamodb.requestTimeoutMs,
  maxAttempts: config.dynamodb.maxAttempts,
});

export const repository = new SessionRepository(documentClient, {
  tableName: config.tableName,
  inactiveDays: config.inactiveDays,
  activityShards: config.activityShards,
  activityBucketMs: config.activityBucketMs,
});
