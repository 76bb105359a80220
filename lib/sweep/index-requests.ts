/**
 * Pure builders of the index requests of the sweep and the shard backfill; `SessionIndex` sends them.
 */
import type { DeleteCommandInput, QueryCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { BY_UPDATED_AT_INDEX } from '../store/session-requests.ts';

const INDEX_NAMES = {
  '#userId': 'userId',
  '#activityShard': 'activityShard',
  '#updatedBucket': 'updatedBucket',
  '#updatedAt': 'updatedAt',
} as const;

function names(...keys: (keyof typeof INDEX_NAMES)[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, INDEX_NAMES[key]]));
}

/**
 * Index entries of one shard whose activity bucket starts before `bucketBound` (see
 * `inactiveBucketBound`), oldest first, at most `limit` to a page.
 */
export function inactiveQueryRequest(
  table: string,
  shard: number,
  bucketBound: number,
  exclusiveStartKey: Record<string, unknown> | undefined,
  limit: number,
): QueryCommandInput {
  return {
    TableName: table,
    IndexName: BY_UPDATED_AT_INDEX,
    KeyConditionExpression: '#activityShard = :shard AND #updatedBucket < :bucketBound',
    ExpressionAttributeNames: names('#activityShard', '#updatedBucket'),
    ExpressionAttributeValues: { ':shard': shard, ':bucketBound': bucketBound },
    ExclusiveStartKey: exclusiveStartKey,
    Limit: limit,
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/** Every index entry of one shard value, oldest first: what the shard backfill walks. */
export function shardEntriesRequest(
  table: string,
  shard: number,
  exclusiveStartKey: Record<string, unknown> | undefined,
): QueryCommandInput {
  return {
    TableName: table,
    IndexName: BY_UPDATED_AT_INDEX,
    KeyConditionExpression: '#activityShard = :shard',
    ExpressionAttributeNames: names('#activityShard'),
    ExpressionAttributeValues: { ':shard': shard },
    ExclusiveStartKey: exclusiveStartKey,
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/** An index entry of an inactive session, read from a page of `inactiveQueryRequest`. */
export function inactiveEntryOf(item: Record<string, unknown>): { userId: string; updatedBucket: number } {
  return { userId: String(item.userId), updatedBucket: Number(item.updatedBucket) };
}

/** An index entry with its shard, read from a page of `shardEntriesRequest`. */
export function shardEntryOf(item: Record<string, unknown>): {
  userId: string;
  activityShard: number;
  updatedBucket: number;
} {
  return {
    userId: String(item.userId),
    activityShard: Number(item.activityShard),
    updatedBucket: Number(item.updatedBucket),
  };
}

/**
 * Moves a session's index entry to another shard, only if the entry is still as the index showed it
 * (same shard, same `updatedBucket`). A write since then has already placed it under the count its writer
 * uses, and this one must not move it back; a write in the same bucket and shard changed no data this
 * request touches. Sets nothing but `activityShard`: no activity, no version. An entry already on the
 * target shard passes too, so the SDK's retry of a move whose answer was lost succeeds as the move it is.
 */
export function moveToShardRequest(
  table: string,
  userId: string,
  from: { activityShard: number; updatedBucket: number },
  toShard: number,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: { userId },
    UpdateExpression: 'SET #activityShard = :toShard',
    ConditionExpression:
      'attribute_exists(#userId) AND #activityShard IN (:fromShard, :toShard) AND #updatedBucket = :indexed',
    ExpressionAttributeNames: names('#userId', '#activityShard', '#updatedBucket'),
    ExpressionAttributeValues: {
      ':toShard': toShard,
      ':fromShard': from.activityShard,
      ':indexed': from.updatedBucket,
    },
  };
}

/**
 * Deletes a session only if its last activity is still before `cutoff`: a user who came back since the
 * index read keeps it. A tombstone goes the same way. The item must exist: a delete of an item already
 * gone (by an overlapping sweep, as EventBridge Scheduler delivers at least once) counts as skipped, not
 * deleted twice; the price is that a delete whose answer was lost counts as skipped too.
 */
export function deleteIfInactiveRequest(table: string, userId: string, cutoff: string): DeleteCommandInput {
  return {
    TableName: table,
    Key: { userId },
    ConditionExpression: 'attribute_exists(#userId) AND #updatedAt < :cutoff',
    ExpressionAttributeNames: names('#userId', '#updatedAt'),
    ExpressionAttributeValues: { ':cutoff': cutoff },
  };
}
