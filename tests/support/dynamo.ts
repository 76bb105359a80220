import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { ensureSessionsTable, localDynamoClient } from '../../lib/local/embedded-dynamodb.ts';
import { type Clock, DAY_MS } from '../../lib/store/clock.ts';
import { createDocumentClient } from '../../lib/store/dynamodb.ts';
import { SessionRepository } from '../../lib/store/session-repository.ts';
import { SessionIndex } from '../../lib/sweep/session-index.ts';

export const endpoint = () => inject('dynamodbEndpoint');

/** A DocumentClient on the test DynamoDB, with the same settings as production. */
export function testDocumentClient(): DynamoDBDocumentClient {
  return createDocumentClient({ endpoint: endpoint() });
}

/** A user id no other test uses, so tests sharing a table never see each other's sessions. */
export function uniqueUserId(prefix = 'test'): string {
  return `${prefix}:${randomUUID()}`;
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date('2026-11-26T10:00:00.000Z')) {
  let now = start.getTime();
  const clock: Clock = () => new Date(now);
  return {
    clock,
    advanceDays(days: number) {
      now += days * DAY_MS;
    },
    advanceMs(ms: number) {
      now += ms;
    },
    set(date: Date) {
      now = date.getTime();
    },
  };
}

/** A table of its own, created from serverless.yml, for tests that read the whole index. */
export async function isolatedTable(): Promise<{
  tableName: string;
  drop(): Promise<void>;
}> {
  const tableName = `sessions-${randomUUID()}`;
  await ensureSessionsTable(endpoint(), tableName);
  return {
    tableName,
    drop: async () => {
      const client = localDynamoClient(endpoint());
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}

export interface StoreTestOptions {
  tableName?: string;
  clock?: Clock;
  inactiveDays?: number;
  activityShards?: number;
  activityBucketMs?: number;
}

function storeOptions(options: StoreTestOptions) {
  return {
    tableName: options.tableName ?? inject('tableName'),
    inactiveDays: options.inactiveDays ?? 30,
    activityShards: options.activityShards,
    activityBucketMs: options.activityBucketMs,
    ...(options.clock ? { clock: options.clock } : {}),
  };
}

export function repositoryFor(
  doc: DynamoDBDocumentClient,
  options: StoreTestOptions = {},
): SessionRepository {
  return new SessionRepository(doc, storeOptions(options));
}

/** The sweep's index reader on the same table and settings as `repositoryFor`. */
export function indexFor(doc: DynamoDBDocumentClient, options: StoreTestOptions = {}): SessionIndex {
  return new SessionIndex(doc, storeOptions(options));
}

/** The raw stored item, storage-only attributes included, read consistently. */
export async function storedItem(
  doc: DynamoDBDocumentClient,
  userId: string,
  tableName = inject('tableName'),
) {
  const { Item } = await doc.send(
    new GetCommand({
      TableName: tableName,
      Key: { userId },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** The `byUpdatedAt` index entries of `userId` in one shard (the embedded DynamoDB updates it at once). */
export async function indexEntriesOf(
  doc: DynamoDBDocumentClient,
  userId: string,
  activityShard: number,
  tableName = inject('tableName'),
): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await doc.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'byUpdatedAt',
      KeyConditionExpression: 'activityShard = :shard',
      ExpressionAttributeValues: { ':shard': activityShard },
    }),
  );
  return Items.filter((item) => item.userId === userId);
}
