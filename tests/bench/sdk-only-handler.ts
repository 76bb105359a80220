/**
 * The cold-start reference: only the DynamoDB client and DocumentClient, built at module scope the way
 * lib/store/dynamodb.ts builds them, bundled exactly like the functions. No session code at all.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

export const handler = async (event: { userId: string }) =>
  documentClient.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { userId: event.userId } }));
