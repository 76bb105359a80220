import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Counts the HTTP requests a client sends to DynamoDB, retries included, by operation name. It is an
 * SDK middleware in the deserialize step, which runs once per attempt.
 */
export function countRequests(doc: DynamoDBDocumentClient) {
  const sent: string[] = [];
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'deserialize', name: 'testRequestCounter' },
  );
  return {
    get sent(): readonly string[] {
      return sent;
    },
    reset() {
      sent.length = 0;
    },
  };
}
