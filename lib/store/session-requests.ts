/**
 * Pure builders of the DynamoDB requests behind each repository operation. They send nothing, so they
 * are tested without any client; `SessionRepository` is the only place that sends them. Every
 * conditional write asks for the item as it was when its condition failed (ALL_OLD), so the repository
 * decides a failure from that item, with no second request.
 */
import type { GetCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SessionPatch, Source } from '../session/schema.ts';
import type { ActivityTimes } from './clock.ts';
import {
  CURRENT_SHAPE,
  IS_DEAD_OR_MISSING,
  IS_LIVE,
  type Precondition,
  preconditionExpression,
  type RoomRule,
  roomExpression,
} from './conditions.ts';
import { TOMBSTONE_REMOVES } from './item.ts';
import {
  KEY_REGISTER,
  LIFETIME_BOUNDARIES,
  REGISTER_EXPRESSIONS,
  RETRY_REGISTER,
  type WriteIdentity,
  writeEntry,
} from './write-register.ts';

export const BY_UPDATED_AT_INDEX = 'byUpdatedAt';

/** How long a plain delete's tombstone is kept: see docs/DESIGN.md ("Tombstones"). */
export const TOMBSTONE_LIFE_MS = 24 * 60 * 60 * 1000;

/** What every conditional write of a session needs besides its own input. */
export interface WritePlan {
  /** The write's entry in a register; none for a create-or-get without a key (see write-register.ts). */
  write: WriteIdentity | undefined;
  times: ActivityTimes;
  precondition: Precondition;
  /** Room for the context keys an update sets; none when it sets none. */
  room?: RoomRule | undefined;
}

/**
 * An UpdateItem from its clauses. Every attribute goes through a placeholder (several names, such as
 * `source` and `step`, are reserved words), and only the placeholders and values the expressions use
 * are sent, as DynamoDB refuses any other.
 */
function updateItem(
  table: string,
  userId: string,
  parts: {
    set: string[];
    remove?: string[];
    conditions: string[];
    names?: Record<string, string>;
    values: Record<string, unknown>;
    returnValues: 'ALL_NEW' | 'NONE';
  },
): UpdateCommandInput {
  const remove = parts.remove ?? [];
  const update = `SET ${parts.set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
  // Only a clause with OR needs parentheses among ANDs; DynamoDB refuses redundant ones.
  const condition = parts.conditions
    .map((clause) => (clause.includes(' OR ') ? `(${clause})` : clause))
    .join(' AND ');
  const text = `${update} ${condition}`;
  const names = Object.fromEntries(
    [...new Set(text.match(/#\w+/g) ?? [])].map((placeholder) => [
      placeholder,
      parts.names?.[placeholder] ?? placeholder.slice(1),
    ]),
  );
  const used = new Set(text.match(/:\w+/g) ?? []);
  return {
    TableName: table,
    Key: { userId },
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: Object.fromEntries(
      Object.entries(parts.values).filter(([placeholder]) => used.has(placeholder)),
    ),
    ReturnValues: parts.returnValues,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * An activity: the exact time, the index key (bucket start, current shard), the TTL backstop and the
 * shape. Within one bucket and shard the key attributes get the values they already hold, and the index
 * entry does not move.
 */
const TOUCH = [
  '#updatedAt = :updatedAt',
  '#updatedBucket = :updatedBucket',
  '#activityShard = :activityShard',
  '#purgeAt = :purgeAt',
  '#schemaVersion = :schemaVersion',
];

function touchValues(times: ActivityTimes) {
  return {
    ':updatedAt': times.updatedAt,
    ':updatedBucket': times.updatedBucket,
    ':activityShard': times.activityShard,
    ':purgeAt': times.purgeAt,
    ':cutoff': times.cutoff,
    ...CURRENT_SHAPE,
  };
}

/** The register update of a recorded write and the condition that it is not recorded yet. */
function recordWrite(write: WriteIdentity | undefined) {
  if (write === undefined) return { set: [], conditions: [], names: {}, values: {} };
  const register = write.keyed ? REGISTER_EXPRESSIONS.key : REGISTER_EXPRESSIONS.retry;
  return {
    set: [register.shift],
    conditions: [register.notRecorded],
    names: register.names,
    values: { ':none': null, ':entry': writeEntry(write), ':writeId': write.writeId },
  };
}

/** The parts every conditional write of a live session shares: liveness, its record, its precondition. */
function guardedParts(plan: WritePlan) {
  const record = recordWrite(plan.write);
  const expected = preconditionExpression(plan.precondition);
  return {
    set: record.set,
    conditions: [IS_LIVE, ...record.conditions, ...expected.clauses],
    names: record.names,
    values: { ...touchValues(plan.times), ...record.values, ...expected.values, ':one': 1 },
  };
}

/**
 * Creates the session if there is none, or touches the live one without changing its data. Every field
 * but the activity goes through `if_not_exists`, so concurrent calls converge on one item and the caller
 * whose `sessionId` candidate was kept is the one that created it. Fails its condition when a tombstone
 * or an expired session is stored (`replaceDeadRequest` handles that), or when `write` is already
 * recorded.
 */
export function createOrGetRequest(
  table: string,
  userId: string,
  candidateSessionId: string,
  source: Source,
  plan: WritePlan,
): UpdateCommandInput {
  const record = recordWrite(plan.write);
  return updateItem(table, userId, {
    set: [
      '#sessionId = if_not_exists(#sessionId, :sessionId)',
      '#source = if_not_exists(#source, :source)',
      '#version = if_not_exists(#version, :one)',
      '#createdAt = if_not_exists(#createdAt, :updatedAt)',
      '#step = if_not_exists(#step, :null)',
      '#booking = if_not_exists(#booking, :empty)',
      '#context = if_not_exists(#context, :empty)',
      ...TOUCH,
      ...record.set,
    ],
    conditions: [`attribute_not_exists(#userId) OR (${IS_LIVE})`, ...record.conditions],
    names: record.names,
    values: newSessionValues(candidateSessionId, source, plan),
    returnValues: 'ALL_NEW',
  });
}

/** The values of a write that may start a session: its candidate sessionId and channel, empty data. */
function newSessionValues(candidateSessionId: string, source: Source, plan: WritePlan) {
  return {
    ':sessionId': candidateSessionId,
    ':source': source,
    ':one': 1,
    ':null': null,
    ':empty': {},
    ':none': null,
    ...touchValues(plan.times),
    ...recordWrite(plan.write).values,
  };
}

/** Marks where a new lifetime begins in each register: its newest entry so far (none: it is empty). */
const LIFETIME_BOUNDARY_SET = [
  `#${LIFETIME_BOUNDARIES.key} = if_not_exists(#${KEY_REGISTER[0]}, :none)`,
  `#${LIFETIME_BOUNDARIES.retry} = if_not_exists(#${RETRY_REGISTER[0]}, :none)`,
];

/**
 * Replaces a tombstone or an expired session with a new one (or creates it if it is gone), unless someone
 * revived or replaced it meanwhile. An UpdateItem rather than a PutItem: the write registers and their
 * idempotency keys carry over to the new lifetime, so a replay from the old one is never applied to it,
 * and the lifetime boundaries mark their entries as the old lifetime's (a replay of one answers 404).
 */
export function replaceDeadRequest(
  table: string,
  userId: string,
  candidateSessionId: string,
  source: Source,
  plan: WritePlan,
): UpdateCommandInput {
  const record = recordWrite(plan.write);
  return updateItem(table, userId, {
    set: [
      '#sessionId = :sessionId',
      '#source = :source',
      '#version = :one',
      '#createdAt = :updatedAt',
      '#step = :null',
      '#booking = :empty',
      '#context = :empty',
      ...TOUCH,
      ...LIFETIME_BOUNDARY_SET,
      ...record.set,
    ],
    remove: ['#deletedAt'],
    // Never over a tombstone of this very candidate: that is this call's own session, since deleted.
    conditions: [IS_DEAD_OR_MISSING, 'NOT #sessionId = :sessionId', ...record.conditions],
    names: record.names,
    values: newSessionValues(candidateSessionId, source, plan),
    returnValues: 'ALL_NEW',
  });
}

export function getRequest(table: string, userId: string): GetCommandInput {
  return { TableName: table, Key: { userId }, ConsistentRead: true };
}

/**
 * Applies a patch field by field: booking fields and top-level context keys are set, or removed when
 * null; `step` is set or nulled; a whole field given as null is emptied. Conditional on a live session,
 * on the write not being recorded yet, on the precondition when given, and on `plan.room` when the patch
 * sets context keys.
 */
export function updateRequest(
  table: string,
  userId: string,
  patch: SessionPatch,
  plan: WritePlan,
): UpdateCommandInput {
  const guarded = guardedParts(plan);
  const set = ['#version = #version + :one', ...TOUCH, ...guarded.set];
  const remove: string[] = [];
  const names: Record<string, string> = { ...guarded.names };
  const values: Record<string, unknown> = { ...guarded.values };
  const conditions = [...guarded.conditions];

  if (patch.step !== undefined) {
    values[':step'] = patch.step;
    set.push('#step = :step');
  }
  const nested = [
    ['#booking', 'b', patch.booking],
    ['#context', 'c', patch.context],
  ] as const;
  for (const [mapName, prefix, fields] of nested) {
    if (fields === null) {
      values[`:${prefix}Empty`] = {};
      set.push(`${mapName} = :${prefix}Empty`);
      continue;
    }
    // An undefined value is "not given" (callers in-process can produce one; JSON cannot).
    const entries = Object.entries(fields ?? {}).filter(([, value]) => value !== undefined);
    const setPlaceholders: string[] = [];
    entries.forEach(([key, value], index) => {
      const placeholder = `#${prefix}${index}`;
      names[placeholder] = key;
      if (value === null) {
        remove.push(`${mapName}.${placeholder}`);
      } else {
        values[`:${prefix}${index}`] = value;
        set.push(`${mapName}.${placeholder} = :${prefix}${index}`);
        setPlaceholders.push(placeholder);
      }
    });
    if (mapName === '#context' && plan.room !== undefined && setPlaceholders.length > 0) {
      const room = roomExpression(plan.room, setPlaceholders);
      conditions.push(room.clause);
      Object.assign(values, room.values);
    }
  }
  return updateItem(table, userId, { set, remove, conditions, names, values, returnValues: 'ALL_NEW' });
}

/** Resets the data to empty, keeping the identity fields; same conditions as an update. */
export function clearRequest(table: string, userId: string, plan: WritePlan): UpdateCommandInput {
  const guarded = guardedParts(plan);
  return updateItem(table, userId, {
    set: [
      '#version = #version + :one',
      ...TOUCH,
      '#step = :null',
      '#booking = :empty',
      '#context = :empty',
      ...guarded.set,
    ],
    conditions: guarded.conditions,
    names: guarded.names,
    values: { ...guarded.values, ':null': null, ':empty': {} },
    returnValues: 'ALL_NEW',
  });
}

/**
 * Deletes the live session by turning it into a tombstone: its data goes, `deletedAt` is set, and the
 * write registers stay, so a retried or replayed delete can tell it deleted it. A tombstone is never
 * live; create-or-get replaces it, and TTL removes it TOMBSTONE_LIFE_MS after the delete. The index keys
 * are left as they are, so the delete writes no index entry.
 */
export function deleteRequest(table: string, userId: string, plan: WritePlan): UpdateCommandInput {
  const guarded = guardedParts(plan);
  const deletedAtMs = Date.parse(plan.times.updatedAt);
  return updateItem(table, userId, {
    set: ['#deletedAt = :updatedAt', '#purgeAt = :tombstonePurgeAt', ...guarded.set],
    remove: TOMBSTONE_REMOVES.map((name) => `#${name}`),
    conditions: guarded.conditions,
    names: guarded.names,
    values: { ...guarded.values, ':tombstonePurgeAt': Math.ceil((deletedAtMs + TOMBSTONE_LIFE_MS) / 1000) },
    returnValues: 'NONE',
  });
}
