/**
 * Pure builders of the DynamoDB requests behind each repository operation. They send nothing, so they
 * are tested without any client; `SessionRepository` is the only place that sends them.
 */
import type { DeleteCommandInput, GetCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SessionPatch, Source } from '../session/schema.ts';
import type { SessionItem } from '../session/session.ts';
import type { ActivityTimes } from './clock.ts';
import {
  KEY_REGISTER,
  LIFETIME_BOUNDARIES,
  RETRY_REGISTER,
  type WriteIdentity,
  writeEntry,
} from './write-register.ts';

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
  '#deletedAt': 'deletedAt',
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
/**
 * A deleted session is kept as a tombstone (no data, `deletedAt` set) so that a retried or replayed delete
 * can tell it deleted it; a tombstone is never live, and create-or-get replaces it like an expired session.
 */
const NOT_DELETED = 'attribute_not_exists(#deletedAt)';
const IS_LIVE_SESSION = `(${IS_LIVE}) AND ${NOT_DELETED}`;
const IS_MISSING_OR_LIVE_SESSION = `(${IS_MISSING_OR_LIVE}) AND ${NOT_DELETED}`;
const IS_NOT_LIVE_SESSION = `(${IS_NOT_LIVE}) OR attribute_exists(#deletedAt)`;
const VERSION_MATCHES = '#version = :expectedVersion';
const SESSION_MATCHES = '#sessionId = :expectedSessionId';

/** One write register's update and condition, built once per register. */
interface RegisterExpressions {
  /**
   * Fails when this very write is already recorded: the SDK retried a request whose answer was lost, or a
   * caller sent the same idempotency key again. Without it the write would be applied a second time.
   */
  notRecorded: string;
  /** Moves every entry one slot down (the oldest falls off) and puts the new entry in slot 0. */
  shift: string;
  names: Record<string, string>;
}

function registerExpressions(slots: readonly string[]): RegisterExpressions {
  const moves = slots
    .slice(1)
    .map((name, index) => `#${name} = if_not_exists(#${slots[index]}, :none)`)
    .reverse();
  return {
    notRecorded: slots.map((name) => `NOT begins_with(#${name}, :writeId)`).join(' AND '),
    shift: [...moves, `#${slots[0]} = :entry`].join(', '),
    names: Object.fromEntries(slots.map((name) => [`#${name}`, name])),
  };
}

/**
 * A write checks and shifts only the register of its kind. That is enough: a keyed id (a hash of the key)
 * is only ever recorded in the key register (also by writes from before the split, whose single register
 * is the key register now), and an unkeyed id is random per call and only ever recorded, in the retry
 * register, by that call's own attempts. It also keeps the largest update's condition (3,268 characters
 * keyed) clear of DynamoDB's 4 KB expression limit (tests/unit/store/session-requests.test.ts checks it).
 */
const KEY_EXPRESSIONS = registerExpressions(KEY_REGISTER);
const RETRY_EXPRESSIONS = registerExpressions(RETRY_REGISTER);

/** What makes a conditional write safe to send more than once, and optionally version-checked. */
export interface WriteGuard {
  write: WriteIdentity;
  /** Only a version DynamoDB can hold exactly; any other never matches, so it gives a conflict. */
  expectedVersion: number | undefined;
  expectedSessionId: string | undefined;
}

/** The register update and its condition, in the register of the write's kind. */
function recordWrite(write: WriteIdentity, candidateSessionId?: string) {
  const register = write.keyed ? KEY_EXPRESSIONS : RETRY_EXPRESSIONS;
  return {
    set: [register.shift],
    condition: register.notRecorded,
    names: register.names,
    values: { ':none': null, ':entry': writeEntry(write, candidateSessionId), ':writeId': write.writeId },
  };
}

/** The precondition's clauses and values; an impossible version (beyond 2^53) becomes 0, which none has. */
function expectation(guard: WriteGuard): { conditions: string[]; values: Record<string, unknown> } {
  const conditions: string[] = [];
  const values: Record<string, unknown> = {};
  if (guard.expectedSessionId !== undefined) {
    conditions.push(SESSION_MATCHES);
    values[':expectedSessionId'] = guard.expectedSessionId;
  }
  if (guard.expectedVersion !== undefined) {
    conditions.push(VERSION_MATCHES);
    values[':expectedVersion'] = Number.isSafeInteger(guard.expectedVersion) ? guard.expectedVersion : 0;
  }
  return { conditions, values };
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

/** Limits a write checks against the stored item, so the item stays within its size bound. */
export interface StoredLimits {
  /** Top-level context keys the stored item may hold. */
  contextKeys: number;
}

/** Every attribute a write of the whole session (create-or-get, replacement) names. */
const WHOLE_SESSION_NAMES = [
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
  '#deletedAt',
] as const satisfies readonly Name[];

/** The values a write of the whole session (create-or-get, replacement) uses. */
function wholeSessionValues(sessionId: string, source: Source, times: ActivityTimes) {
  return {
    ':sessionId': sessionId,
    ':source': source,
    ':one': 1,
    ':null': null,
    ':empty': {},
    ':cutoff': times.cutoff,
    ...touchValues(times),
  };
}

/**
 * Creates the session if there is none, or touches the live one without changing its data. Every field
 * but the activity times goes through `if_not_exists`, so concurrent calls converge on one item and the
 * caller whose `sessionId` candidate was kept is the one that created it. Fails its condition when an
 * expired item or a tombstone is stored (`replaceExpiredRequest` handles that), or when `write` is already
 * recorded.
 */
export function createOrGetRequest(
  table: string,
  userId: string,
  candidateSessionId: string,
  source: Source,
  times: ActivityTimes,
  write: WriteIdentity,
): UpdateCommandInput {
  const record = recordWrite(write, candidateSessionId);
  return {
    TableName: table,
    Key: { userId },
    UpdateExpression:
      'SET #sessionId = if_not_exists(#sessionId, :sessionId), #source = if_not_exists(#source, :source), ' +
      '#version = if_not_exists(#version, :one), #createdAt = if_not_exists(#createdAt, :updatedAtExact), ' +
      '#step = if_not_exists(#step, :null), #booking = if_not_exists(#booking, :empty), ' +
      '#context = if_not_exists(#context, :empty), ' +
      [TOUCH, ...record.set].join(', '),
    ConditionExpression: `(${IS_MISSING_OR_LIVE_SESSION}) AND ${record.condition}`,
    ExpressionAttributeNames: {
      ...names(...WHOLE_SESSION_NAMES),
      ...record.names,
    },
    ExpressionAttributeValues: {
      ...wholeSessionValues(candidateSessionId, source, times),
      ...record.values,
    },
    ReturnValues: 'ALL_NEW',
  };
}

/** Marks where a new lifetime begins in each register: its newest entry so far (none: the register is empty). */
const LIFETIME_BOUNDARY_SET = [
  [LIFETIME_BOUNDARIES.key, KEY_REGISTER[0]],
  [LIFETIME_BOUNDARIES.retry, RETRY_REGISTER[0]],
].map(([boundary, newest]) => `#${boundary} = if_not_exists(#${newest}, :none)`);
const LIFETIME_BOUNDARY_NAMES = Object.fromEntries(
  [LIFETIME_BOUNDARIES.key, LIFETIME_BOUNDARIES.retry, KEY_REGISTER[0], RETRY_REGISTER[0]].map((name) => [
    `#${name}`,
    name,
  ]),
);

/**
 * Replaces an expired item or a tombstone with a new session (or creates it if it is gone), unless someone
 * revived or replaced it meanwhile. An UpdateItem rather than a PutItem: the write registers and their
 * idempotency keys carry over to the new lifetime, so a replay from the old one is never applied to it, and
 * the lifetime boundaries mark their entries as the old lifetime's (a replay of one answers 404).
 */
export function replaceExpiredRequest(
  table: string,
  item: SessionItem,
  times: ActivityTimes,
  write: WriteIdentity,
): UpdateCommandInput {
  const record = recordWrite(write, item.sessionId);
  return {
    TableName: table,
    Key: { userId: item.userId },
    UpdateExpression:
      'SET #sessionId = :sessionId, #source = :source, #version = :one, #createdAt = :updatedAtExact, ' +
      '#step = :null, #booking = :empty, #context = :empty, ' +
      [TOUCH, ...LIFETIME_BOUNDARY_SET, ...record.set].join(', ') +
      ' REMOVE #deletedAt, #lastWriteId',
    ConditionExpression: `(${IS_NOT_LIVE_SESSION}) AND ${record.condition}`,
    ExpressionAttributeNames: {
      ...names(...WHOLE_SESSION_NAMES, '#lastWriteId'),
      ...LIFETIME_BOUNDARY_NAMES,
      ...record.names,
    },
    ExpressionAttributeValues: {
      ...wholeSessionValues(item.sessionId, item.source, times),
      ...record.values,
    },
    ReturnValues: 'ALL_NEW',
  };
}

export function getRequest(table: string, userId: string): GetCommandInput {
  return { TableName: table, Key: { userId }, ConsistentRead: true };
}

/**
 * Applies a patch field by field: booking fields and top-level context keys are set, or removed when
 * null; `step` is set or nulled. Conditional on a live session, on the write not being recorded yet, on
 * the precondition when given, and, when it sets context keys, on room for them: the stored context
 * holds at most `limits.contextKeys - <keys set>` keys, unless every key set already exists.
 */
export function updateRequest(
  table: string,
  userId: string,
  patch: SessionPatch,
  times: ActivityTimes,
  guard: WriteGuard,
  limits: StoredLimits,
): UpdateCommandInput {
  const set: string[] = ['#version = #version + :one', TOUCH];
  const remove: string[] = [];
  const conditions: string[] = [];
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
    const setKeys: string[] = [];
    entries.forEach(([key, value], index) => {
      const keyName = `#${prefix}${index}`;
      attributeNames[keyName] = key;
      if (value === null) {
        remove.push(`${mapName}.${keyName}`);
      } else {
        values[`:${prefix}${index}`] = value;
        set.push(`${mapName}.${keyName} = :${prefix}${index}`);
        setKeys.push(`attribute_exists(${mapName}.${keyName})`);
      }
    });
    if (mapName === '#context' && setKeys.length > 0) {
      values[':contextRoom'] = limits.contextKeys - setKeys.length;
      conditions.push(`(size(#context) <= :contextRoom OR (${setKeys.join(' AND ')}))`);
    }
  }

  return conditionalUpdate(table, userId, set, remove, attributeNames, values, guard, conditions);
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

/**
 * Deletes the live session by turning it into a tombstone: its data is removed, `deletedAt` is set, and
 * the write registers stay, so a retried or replayed delete can tell it deleted it. A tombstone is never
 * live; create-or-get replaces it, and the sweep (or the TTL backstop) removes it after the window.
 */
export function deleteRequest(
  table: string,
  userId: string,
  times: ActivityTimes,
  guard: WriteGuard,
): UpdateCommandInput {
  return conditionalUpdate(
    table,
    userId,
    [TOUCH, '#deletedAt = :updatedAtExact'],
    ['#step', '#booking', '#context'],
    names(
      '#userId',
      '#updatedAt',
      '#updatedAtExact',
      '#activityShard',
      '#expiresAt',
      '#purgeAt',
      '#step',
      '#booking',
      '#context',
      '#deletedAt',
    ),
    { ':cutoff': times.cutoff, ...touchValues(times) },
    guard,
    [],
    'NONE',
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
  extraConditions: string[] = [],
  returnValues: 'ALL_NEW' | 'NONE' = 'ALL_NEW',
): UpdateCommandInput {
  const record = recordWrite(guard.write);
  const expected = expectation(guard);
  const conditions = [IS_LIVE_SESSION, record.condition, ...expected.conditions, ...extraConditions];
  return {
    TableName: table,
    Key: { userId },
    UpdateExpression: `SET ${[...set, ...record.set].join(', ')} REMOVE ${[...remove, '#lastWriteId'].join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: {
      ...attributeNames,
      ...names('#lastWriteId', '#deletedAt'),
      ...(expected.values[':expectedSessionId'] === undefined ? {} : names('#sessionId')),
      ...(expected.values[':expectedVersion'] === undefined ? {} : names('#version')),
      ...record.names,
    },
    ExpressionAttributeValues: {
      ...values,
      ...expected.values,
      ...record.values,
    },
    ReturnValues: returnValues,
  };
}

/**
 * Deletes a session only if its exact last activity is still before `cutoff`: a user who came back
 * since the index read keeps it. The item must exist: a delete of an item already gone (by an
 * overlapping sweep, as EventBridge Scheduler delivers at least once) counts as skipped, not deleted
 * twice; the price is that a delete whose answer was lost counts as skipped too.
 * With `keep-tombstones`, a tombstone stays (a delete that found nothing live uses it to purge only an
 * expired session's data).
 */
export function deleteIfInactiveRequest(
  table: string,
  userId: string,
  cutoff: string,
  tombstones: 'delete-tombstones' | 'keep-tombstones' = 'delete-tombstones',
): DeleteCommandInput {
  const keep = tombstones === 'keep-tombstones';
  return {
    TableName: table,
    Key: { userId },
    ConditionExpression: `attribute_exists(#userId) AND ${WAS_INACTIVE_SINCE_CUTOFF}${keep ? ` AND ${NOT_DELETED}` : ''}`,
    ExpressionAttributeNames: keep
      ? names('#userId', '#updatedAt', '#updatedAtExact', '#deletedAt')
      : names('#userId', '#updatedAt', '#updatedAtExact'),
    ExpressionAttributeValues: { ':cutoff': cutoff },
  };
}
