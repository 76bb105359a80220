/**
 * Starts the embedded DynamoDB once for the whole run (unless DYNAMODB_ENDPOINT names another local
 * one) and creates the shared test table from serverless.yml. Stops it at the end.
 */
import type { TestProject } from 'vitest/node';
import {
  type EmbeddedDynamo,
  ensureSessionsTable,
  startEmbeddedDynamo,
} from '../../lib/local/embedded-dynamodb.ts';
import { assertLocalEndpoint } from './local-endpoint.ts';

export const TEST_TABLE = 'session-service-test-sessions';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    tableName: string;
  }
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedDynamo | undefined;
  let endpoint = process.env.DYNAMODB_ENDPOINT;
  if (endpoint) {
    assertLocalEndpoint(endpoint);
  } else {
    embedded = await startEmbeddedDynamo();
    endpoint = embedded.endpoint;
  }
  await ensureSessionsTable(endpoint, TEST_TABLE);
  project.provide('dynamodbEndpoint', endpoint);
  project.provide('tableName', TEST_TABLE);
  return async () => {
    await embedded?.close();
  };
}
