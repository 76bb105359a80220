/**
 * Pure builders of the DynamoDB requests behind each repository operation. They send nothing, so they
 * are tested without any client; `SessionRepository` is the only place that sends them.
 */
import type {
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  QueryCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ActivityTimes } from './clock.ts';
import type { SessionPatch, Source } from './schema.ts';
import type { SessionItem } from './session.ts';

export const BY_UPDATED_AT_INDEX = 'byUpdatedAt';

/** Every attribute goes through a placeholder: several names (`source`, `step`…) are reserved words. */
const NAMES = {
  '#userId': 'userId',
  '#sessionId': 'sessionId',
  '#source': 'source',
  '#version': 'version',
  '#createdAt': 'createdAt',
  '#updatedAt': 'updatedAt',
  '#updatedAtExact': 'updatedAtExact',
  '#expiresAt': 'expiresAt',
  '#purgeAt': 'purgeAt',
  '#activityShard': 'activityShard',
  '#step': 'step',
  '#booking': 'booking',
  '#context': 'context',
  '#lastWriteId': 'lastWriteId',
} as const;

type Name = keyof typeof NAMES;

function names(...keys: Name[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, NAMES[key]]));
}

/**
 * The last activity is the exact `updatedAtExact`; an item written before it existed holds the exact
 * time in `updatedAt` (now the bucket start, never later than `updatedAtExact`). So "active since the
 * cutoff" is either attribute at or after it: a comparison with a missing attribute is false, and for a
 * bucketed item the second implies the first. Each condition below names both attributes.
 */
const WAS_ACTIVE_SINCE_CUTOFF = '(#updatedAtExact >= :cutoff OR #updatedAt >= :cutoff)';
const WAS_INACTIVE_SINCE_CUTOFF = `(NOT ${WAS_ACTIVE_SINCE_CUTOFF})`;
/** The item is missing, or its last activity is older than the window: either way no live session. */
const IS_NOT_LIVE = `attribute_not_exists(#userId) OR ${WAS_INACTIVE_SINCE_CUTOFF}`;
const IS_LIVE = `attribute_exists(#userId) AND ${WAS_ACTIVE_SINCE_CUTOFF}`;
const IS_MISSING_OR_LIVE = `attribute_not_exists(#userId) OR ${WAS_ACTIVE_SINCE_CUTOFF}`;
const VERSION_MATCHES = '#version = :expectedVersion';
/**
 * Fails when this very write was already applied: the SDK retries a request whose answer was lost, and
 * without this guard the retry would apply the change (and the version bump) a second time.
 */
const NOT_ALREADY_APPLIED = '(attribute_not_exists(#lastWriteId) OR #lastWriteId <> :writeId)';

/** What makes a conditional write safe to send more than once, and optionally version-checked. */
export interface WriteGuard {
  /** A fresh random id per logical write, stored as `lastWriteId`. */
  writeId: string;
  expectedVersion: number | undefined;
}

/**
 * An activity: the exact time, and the index key (bucket start, current shard). Within one bucket and
 * shard the key attributes get the values they already hold, and the index entry does not move.
 */
const TOUCH =
  '#updatedAtExact = :updatedAtExact, #updatedAt = :activityBucket, #activityShard = :activityShard, ' +
  '#expiresAt = :expiresAt, #purgeAt = :purgeAt';

function touchValues(times: ActivityTimes) {
  return {
    ':updatedAtExact': times.updatedAt,
    ':activityBucket': times.activityBucket,
    ':activityShard': times.activityShard,
    ':expiresAt': times.expiresAt,
    ':purgeAt': times.purgeAt,
  };
}

/** A brand-new session item with empty data. */
export function newSessionItem(
  userId: string,
  sessionId: string,
  source: Source,
  times: ActivityTimes,
): SessionItem {
  return {
    userId,
    sessionId,
    source,
    version: 1,
    createdAt: times.updatedAt,
    updatedAt: times.activityBucket,
    updatedAtExact: times.updatedAt,
    expiresAt: times.expiresAt,
    step: null,
    booking: {},
    context: {},
    activityShard: times.activityShard,
    purgeAt: times.purgeAt,
  };
}

/**
 * Creates the session if there is none, or touches the live one without changing its data. Every field
 * but the activity times goes through `if_not_exists`, so concurrent calls converge on one item and the
 * caller whose `sessionId` candidate was kept is the one that created it. Fails its condition only when
 * an expired item is still stored; `replaceExpiredRequest` handles that.
 */
export function createOrGetRequest(
  table: string,
  userId: string,
  candidateSessionId: string,
  source: Source,
  times: ActivityTimes,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: { userId },
    UpdateExpression:
      'SET #sessionId = if_not_exists(#sessionId, :sessionId), #source = if_not_exists(#source, :source), ' +
      '#version = if_not_exists(#version, :one), #createdAt = if_not_exists(#createdAt, :updatedAtExact), ' +
      '#step = if_not_exists(#step, :null), #booking = if_not_exists(#booking, :empty), ' +
      '#context = if_not_exists(#context, :empty), ' +
      TOUCH,
    ConditionExpression: IS_MISSING_OR_LIVE,
    ExpressionAttributeNames: names(
      '#userId',
      '#sessionId',
      '#source',
      '#version',
      '#createdAt',
      '#step',
      '#booking',
      '#context',
      '#activityShard',
      '#updatedAt',
      '#updatedAtExact',
      '#expiresAt',
      '#purgeAt',
    ),
    ExpressionAttributeValues: {
      ':sessionId': candidateSessionId,
      ':source': source,
      ':one': 1,
      ':null': null,
      ':empty': {},
      ':cutoff': times.cutoff,
      ...touchValues(times),
    },
    ReturnValues: 'ALL_NEW',
  };
}

/** Replaces an expired item with a new session, unless someone revived or replaced it meanwhile. */
export function replaceExpiredRequest(table: string, item: SessionItem, cutoff: string): PutCommandInput {
  return {
    TableName: table,
    Item: item,
    ConditionExpression: IS_NOT_LIVE,
    ExpressionAttributeNames: names('#userId', '#updatedAt', '#updatedAtExact'),
    ExpressionAttributeValues: { ':cutoff': cutoff },
  };
}

export function getRequest(table: string, userId: string): GetCommandInput {
  return { TableName: table, Key: { userId }, ConsistentRead: true };
}

/**
 * Applies a patch field by field: booking fields and top-level context keys are set, or removed when
 * null; `step` is set or nulled. Conditional on a live session and, when given, on its version.
 */
export function updateRequest(
  table: string,
  userId: string,
  patch: SessionPatch,
  times: ActivityTimes,
  guard: WriteGuard,
): UpdateCommandInput {
  const set: string[] = ['#version = #version + :one', TOUCH];
  const remove: string[] = [];
  const attributeNames: Record<string, string> = names(
    '#userId',
    '#version',
    '#updatedAt',
    '#updatedAtExact',
    '#activityShard',
    '#expiresAt',
    '#purgeAt',
  );
  const values: Record<string, unknown> = {
    ':one': 1,
    ':cutoff': times.cutoff,
    ...touchValues(times),
  };

  if (patch.step !== undefined) {
    attributeNames['#step'] = NAMES['#step'];
    values[':step'] = patch.step;
    set.push('#step = :step');
  }
  const nested = [
    ['#booking', 'b', patch.booking],
    ['#context', 'c', patch.context],
  ] as const;
  for (const [mapName, prefix, fields] of nested) {
    if (fields === null) {
      // The whole field given as null empties it.
      attributeNames[mapName] = NAMES[mapName];
      values[`:${prefix}Empty`] = {};
      set.push(`${mapName} = :${prefix}Empty`);
      continue;
    }
    // An undefined value is "not given" (callers in-process can produce one; JSON cannot).
    const entries = Object.entries(fields ?? {}).filter(([, value]) => value !== undefined);
    if (entries.length > 0) attributeNames[mapName] = NAMES[mapName];
    entries.forEach(([key, value], index) => {
      const keyName = `#${prefix}${index}`;
      attributeNames[keyName] = key;
      if (value === null) {
        remove.push(`${mapName}.${keyName}`);
      } else {
        values[`:${prefix}${index}`] = value;
        set.push(`${mapName}.${keyName} = :${prefix}${index}`);
      }
    });
  }

  return conditionalUpdate(table, userId, set, remove, attributeNames, values, guard);
}

/** Resets the data to empty, keeping the identity fields; same conditions as an update. */
export function clearRequest(
  table: string,
  userId: string,
  times: ActivityTimes,
  guard: WriteGuard,
): UpdateCommandInput {
  return conditionalUpdate(
    table,
    userId,
    ['#version = #version + :one', TOUCH, '#step = :null', '#booking = :empty', '#context = :empty'],
    [],
    names(
      '#userId',
      '#version',
      '#updatedAt',
      '#updatedAtExact',
      '#activityShard',
      '#expiresAt',
      '#purgeAt',
      '#step',
      '#booking',
      '#context',
    ),
    {
      ':one': 1,
      ':null': null,
      ':empty': {},
      ':cutoff': times.cutoff,
      ...touchValues(times),
    },
    guard,
  );
}

function conditionalUpdate(
  table: string,
  userId: string,
  set: string[],
  remove: string[],
  attributeNames: Record<string, string>,
  values: Record<string, unknown>,
  guard: WriteGuard,
): UpdateCommandInput {
  const conditions = [IS_LIVE, NOT_ALREADY_APPLIED];
  if (guard.expectedVersion !== undefined) {
    conditions.push(VERSION_MATCHES);
    values[':expectedVersion'] = guard.expectedVersion;
  }
  const removeClause = remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : '';
  return {
    TableName: table,
    Key: { userId },
    UpdateExpression: `SET ${[...set, '#lastWriteId = :writeId'].join(', ')}${removeClause}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: { ...attributeNames, '#lastWriteId': NAMES['#lastWriteId'] },
    ExpressionAttributeValues: { ...values, ':writeId': guard.writeId },
    ReturnValues: 'ALL_NEW',
  };
}

/**
 * Deletes the item and returns what it held. An expired item is deleted too (its data is dead anyway);
 * only a live session with another version makes the condition fail.
 */
export function deleteRequest(
  table: string,
  userId: string,
  cutoff: string,
  expectedVersion: number | undefined,
): DeleteCommandInput {
  const request: DeleteCommandInput = {
    TableName: table,
    Key: { userId },
    ReturnValues: 'ALL_OLD',
  };
  if (expectedVersion === undefined) return request;
  return {
    ...request,
    ConditionExpression: `${IS_NOT_LIVE} OR ${VERSION_MATCHES}`,
    ExpressionAttributeNames: names('#userId', '#updatedAt', '#updatedAtExact', '#version'),
    ExpressionAttributeValues: {
      ':cutoff': cutoff,
      ':expectedVersion': expectedVersion,
    },
  };
}

/**
 * Index entries of one shard whose activity bucket starts before `bucketBound` (see
 * `inactiveBucketBound`), oldest first.
 */
export function inactiveQueryRequest(
  table: string,
  shard: number,
  bucketBound: string,
  exclusiveStartKey: Record<string, unknown> | undefined,
): QueryCommandInput {
  return {
    TableName: table,
    IndexName: BY_UPDATED_AT_INDEX,
    KeyConditionExpression: '#activityShard = :shard AND #updatedAt < :bucketBound',
    ExpressionAttributeNames: names('#activityShard', '#updatedAt'),
    ExpressionAttributeValues: { ':shard': shard, ':bucketBound': bucketBound },
    ExclusiveStartKey: exclusiveStartKey,
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/**
 * Deletes a session only if its exact last activity is still before `cutoff`: a user who came back
 * since the index read keeps it.
 */
export function deleteIfInactiveRequest(table: string, userId: string, cutoff: string): DeleteCommandInput {
  return {
    TableName: table,
    Key: { userId },
    ConditionExpression: `attribute_exists(#userId) AND ${WAS_INACTIVE_SINCE_CUTOFF}`,
    ExpressionAttributeNames: names('#userId', '#updatedAt', '#updatedAtExact'),
    ExpressionAttributeValues: { ':cutoff': cutoff },
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

/**
 * Moves a session's index entry to another shard, only if the entry is still as the index showed it
 * (same shard, same `updatedAt`). A write since then has already placed it under the count its writer
 * uses, and this one must not move it back; a write in the same bucket and shard changed no data this
 * request touches. Sets nothing but `activityShard`: no activity, no version.
 */
export function moveToShardRequest(
  table: string,
  userId: string,
  from: { activityShard: number; updatedAt: string },
  toShard: number,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: { userId },
    UpdateExpression: 'SET #activityShard = :toShard',
    ConditionExpression:
      'attribute_exists(#userId) AND #activityShard = :fromShard AND #updatedAt = :indexed',
    ExpressionAttributeNames: names('#userId', '#activityShard', '#updatedAt'),
    ExpressionAttributeValues: {
      ':toShard': toShard,
      ':fromShard': from.activityShard,
      ':indexed': from.updatedAt,
    },
  };
}
