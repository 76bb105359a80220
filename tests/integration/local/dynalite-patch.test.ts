/**
 * lib/local/patches/dynalite+4.0.0.patch: PutItem, UpdateItem and DeleteItem take
 * `ReturnValuesOnConditionCheckFailure` (ALL_OLD | NONE) and, when their condition fails with ALL_OLD,
 * answer the stored item in the ConditionalCheckFailedException body, as DynamoDB does. This file runs
 * its own dynalite, so it checks the patched module as it is installed.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type ReturnValuesOnConditionCheckFailure,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmbeddedDynamo,
  ensureSessionsTable,
  localDynamoClient,
  startEmbeddedDynamo,
} from '../../../lib/local/embedded-dynamodb.ts';
import { createDocumentClient } from '../../../lib/store/dynamodb.ts';
import { uniqueUserId } from '../../support/dynamo.ts';

const TABLE = 'dynalite-patch-sessions';

type Item = Record<string, AttributeValue>;
type Action = 'PutItem' | 'UpdateItem' | 'DeleteItem';
const ACTIONS: Action[] = ['PutItem', 'UpdateItem', 'DeleteItem'];

/** The stored item: a few attribute types, nested ones included, to see it comes back unchanged. */
function storedFor(userId: string): Item {
  return {
    userId: { S: userId },
    note: { S: 'stored' },
    version: { N: '3' },
    details: { M: { open: { BOOL: true }, steps: { L: [{ S: 'a' }, { N: '1' }] } } },
  };
}

/** The condition of every write here; no stored item meets it unless `expected` is 'stored'. */
function condition(expected = 'expected') {
  return {
    ConditionExpression: 'note = :expected',
    ExpressionAttributeValues: { ':expected': { S: expected } },
  };
}

/**
 * Sends `action` on the item of `userId` under {@link condition}, asking `onFailure` (left out when
 * undefined).
 */
function conditionalWrite(action: Action, userId: string, onFailure?: string, expected?: string) {
  const common = {
    TableName: TABLE,
    ...condition(expected),
    ...(onFailure === undefined
      ? {}
      : { ReturnValuesOnConditionCheckFailure: onFailure as ReturnValuesOnConditionCheckFailure }),
  };
  const Key = { userId: { S: userId } };
  switch (action) {
    case 'PutItem':
      return client.send(
        new PutItemCommand({ ...common, Item: { userId: { S: userId }, note: { S: 'replaced' } } }),
      );
    case 'UpdateItem':
      return client.send(
        new UpdateItemCommand({
          ...common,
          Key,
          UpdateExpression: 'SET note = :note',
          ExpressionAttributeValues: { ...common.ExpressionAttributeValues, ':note': { S: 'updated' } },
        }),
      );
    case 'DeleteItem':
      return client.send(new DeleteItemCommand({ ...common, Key }));
  }
}

let dynamo: EmbeddedDynamo;
let client: DynamoDBClient;

/** What the request failed with; the test fails if it succeeds. */
async function failure(request: Promise<unknown>): Promise<Error & { Item?: unknown }> {
  const error = await request.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof Error)) throw new Error('the command succeeded');
  return error;
}

/** A new user id whose item is stored. */
async function storedUser(): Promise<{ userId: string; item: Item }> {
  const userId = uniqueUserId('dynalite-patch');
  const item = storedFor(userId);
  await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
  return { userId, item };
}

async function read(userId: string): Promise<Item | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: TABLE, Key: { userId: { S: userId } }, ConsistentRead: true }),
  );
  return Item;
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  await ensureSessionsTable(dynamo.endpoint, TABLE);
  client = localDynamoClient(dynamo.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

describe('dynalite patch', () => {
  describe.each(ACTIONS)('%s', (action) => {
    it('returns the stored item on a failed condition with ALL_OLD', async () => {
      const { userId, item } = await storedUser();

      const error = await failure(conditionalWrite(action, userId, 'ALL_OLD'));

      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.message).toBe('The conditional request failed');
      expect(error.Item).toEqual(item);
      expect(await read(userId)).toEqual(item);
    });

    it.each([
      ['NONE', 'NONE'],
      ['absent', undefined],
    ])('returns no item on a failed condition with %s', async (_, onFailure) => {
      const { userId, item } = await storedUser();

      const error = await failure(conditionalWrite(action, userId, onFailure));

      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.Item).toBeUndefined();
      expect(await read(userId)).toEqual(item);
    });

    it('returns no item on a failed condition with ALL_OLD when there is no item', async () => {
      const userId = uniqueUserId('dynalite-patch');

      const error = await failure(conditionalWrite(action, userId, 'ALL_OLD'));

      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.Item).toBeUndefined();
      expect(await read(userId)).toBeUndefined();
    });

    it('returns the stored item on a failed legacy Expected condition with ALL_OLD', async () => {
      const { userId, item } = await storedUser();
      const Key = { userId: { S: userId } };
      const Expected = { note: { Value: { S: 'expected' } } };
      const ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
      const send = {
        PutItem: () =>
          client.send(
            new PutItemCommand({
              TableName: TABLE,
              Item: Key,
              Expected,
              ReturnValuesOnConditionCheckFailure,
            }),
          ),
        UpdateItem: () =>
          client.send(
            new UpdateItemCommand({
              TableName: TABLE,
              Key,
              AttributeUpdates: { note: { Action: 'PUT', Value: { S: 'updated' } } },
              Expected,
              ReturnValuesOnConditionCheckFailure,
            }),
          ),
        DeleteItem: () =>
          client.send(
            new DeleteItemCommand({ TableName: TABLE, Key, Expected, ReturnValuesOnConditionCheckFailure }),
          ),
      }[action];

      const error = await failure(send());

      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.Item).toEqual(item);
    });

    it.each(['ALL_NEW', 'UPDATED_OLD', 'all_old'])('rejects %s as a ValidationException', async (value) => {
      const { userId, item } = await storedUser();

      const error = await failure(conditionalWrite(action, userId, value));

      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(
        `1 validation error detected: Value '${value}' at 'returnValuesOnConditionCheckFailure' ` +
          'failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]',
      );
      expect(await read(userId)).toEqual(item);
    });

    it('still writes when the condition holds, with ALL_OLD', async () => {
      const { userId } = await storedUser();

      await conditionalWrite(action, userId, 'ALL_OLD', 'stored');

      expect((await read(userId))?.note).toEqual(
        { PutItem: { S: 'replaced' }, UpdateItem: { S: 'updated' }, DeleteItem: undefined }[action],
      );
    });
  });

  it('answers the item in the error body beside __type and message, as DynamoDB does', async () => {
    const { userId, item } = await storedUser();

    const body = await wireBody('PutItem', {
      TableName: TABLE,
      Item: { userId: { S: userId } },
      ...condition(),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });

    expect(body).toEqual({
      __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
      message: 'The conditional request failed',
      Item: item,
    });
  });

  /**
   * lib-dynamodb unmarshalls a command's output, never its errors: the DocumentClient's
   * ConditionalCheckFailedException carries `Item` in DynamoDB's AttributeValue form.
   */
  describe('through the DocumentClient', () => {
    let doc: DynamoDBDocumentClient;
    beforeAll(() => {
      doc = createDocumentClient({ endpoint: dynamo.endpoint });
    });
    afterAll(() => {
      doc.destroy();
    });

    it.each(ACTIONS)('%s leaves the item on the error marshalled', async (action) => {
      const { userId, item } = await storedUser();
      const common = {
        TableName: TABLE,
        ConditionExpression: 'note = :expected',
        ExpressionAttributeValues: { ':expected': 'expected' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      const send = {
        PutItem: () => doc.send(new PutCommand({ ...common, Item: { userId, note: 'replaced' } })),
        UpdateItem: () =>
          doc.send(
            new UpdateCommand({
              ...common,
              Key: { userId },
              UpdateExpression: 'SET note = :note',
              ExpressionAttributeValues: { ...common.ExpressionAttributeValues, ':note': 'updated' },
            }),
          ),
        DeleteItem: () => doc.send(new DeleteCommand({ ...common, Key: { userId } })),
      }[action];

      const error = await failure(send());

      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.Item).toEqual(item);
    });
  });
});

/** POSTs `body` to dynalite as `action` and answers the JSON it sends back (it checks no signature). */
async function wireBody(action: Action, body: unknown): Promise<unknown> {
  const response = await fetch(dynamo.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${action}`,
      'x-amz-date': '20260101T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=0',
    },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(400);
  return response.json();
}
