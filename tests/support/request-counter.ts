import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { aroundAttempts } from './sdk-middleware.ts';

/** Counts the HTTP requests a client sends to DynamoDB, retries included, by operation name. */
export function countRequests(doc: DynamoDBDocumentClient) {
  const sent: string[] = [];
  const counter = aroundAttempts(doc, ({ operation, forward }) => {
    sent.push(operation);
    return forward();
  });
  return {
    get sent(): readonly string[] {
      return sent;
    },
    reset() {
      sent.length = 0;
    },
    remove: counter.remove,
  };
}
