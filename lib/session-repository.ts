import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ActivityTimes,
  activityTimes,
  type Clock,
  inactiveBucketBound,
  inactiveCutoff,
  systemClock,
} from './clock.ts';
import { isConditionFailed, translateDynamoError } from './dynamo-errors.ts';
import { NotFoundError, VersionConflictError } from './errors.ts';
import { mergeAsync } from './merge-async.ts';
import {
  type BookingPatch,
  type Context,
  parseInput,
  patchSchema,
  type SessionPatch,
  type Source,
  sourceSchema,
  userIdSchema,
} from './schema.ts';
import { type Session, toSession } from './session.ts';
import {
  clearRequest,
  createOrGetRequest,
  deleteIfInactiveRequest,
  deleteRequest,
  getRequest,
  inactiveQueryRequest,
  moveToShardRequest,
  newSessionItem,
  replaceExpiredRequest,
  shardEntriesRequest,
  updateRequest,
  type WriteGuard,
} from './session-requests.ts';
import {
  activityShardOf,
  DEFAULT_ACTIVITY_BUCKET_MS,
  DEFAULT_ACTIVITY_SHARDS,
  MAX_ACTIVITY_SHARDS,
} from './shard.ts';

export interface SessionRepositoryOptions {
  tableName: string;
  /** Days without activity after which a session is gone for every operation. */
  inactiveDays: number;
  clock?: Clock;
  /** Shards of the `byUpdatedAt` index that writes use (config `activityShards`). */
  activityShards?: number;
  /** Length of an activity bucket in milliseconds (config `activityBucketMs`). */
  activityBucketMs?: number;
}

/** Which index shards a read of inactive sessions covers. */
export interface InactivePagesOptions {
  /** Shard values to read, each from 0 to MAX_ACTIVITY_SHARDS - 1; every shard value when omitted. */
  shards?: readonly number[] | undefined;
}

/** Shards read at once: enough to keep a sweep's deletes fed, few enough not to burst the table. */
const SHARD_READS_IN_FLIGHT = 16;

/** Every shard value any shard count can produce: what a sweep with no share covers. */
export const ALL_SHARD_VALUES: readonly number[] = Array.from(
  { length: MAX_ACTIVITY_SHARDS },
  (_, shard) => shard,
);

export interface WriteOptions {
  /** When given, the write succeeds only if the stored version still equals it. */
  expectedVersion?: number | undefined;
}

/** An index entry of a session that has been inactive longer than the window. */
export interface InactiveSession {
  userId: string;
  /** The index's sort key: the start of the last activity bucket (the exact time on an older item). */
  updatedAt: string;
}

/** One page of index entries, with the read capacity DynamoDB charged for it. */
export interface InactivePage {
  sessions: InactiveSession[];
  consumedReadCapacity: number;
}

export type SweepOutcome = 'deleted' | 'skipped';

/** An index entry as the index holds it: where the session sits now. */
export interface ShardEntry {
  userId: string;
  activityShard: number;
  updatedAt: string;
}

/** One page of a shard's index entries, with the read capacity DynamoDB charged for it. */
export interface ShardEntryPage {
  entries: ShardEntry[];
  consumedReadCapacity: number;
}

/** `moved`; `unchanged`: already on its shard under the current count; `skipped`: written meanwhile. */
export type MoveOutcome = 'moved' | 'unchanged' | 'skipped';

export type { BookingPatch, Context, SessionPatch };

/**
 * The only code that talks to the sessions table. Each operation's common path is exactly one
 * DynamoDB request. Expiry is exact: a session inactive longer than the window is gone for every
 * operation, whether or not the sweep has removed it yet.
 */
export class SessionRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #inactiveDays: number;
  readonly #clock: Clock;
  readonly #activityShards: number;
  readonly #activityBucketMs: number;

  constructor(doc: DynamoDBDocumentClient, options: SessionRepositoryOptions) {
    this.#doc = doc;
    this.#table = options.tableName;
    this.#inactiveDays = options.inactiveDays;
    this.#clock = options.clock ?? systemClock;
    this.#activityShards = options.activityShards ?? DEFAULT_ACTIVITY_SHARDS;
    this.#activityBucketMs = options.activityBucketMs ?? DEFAULT_ACTIVITY_BUCKET_MS;
  }

  get tableName(): string {
    return this.#table;
  }

  /**
   * Returns the user's live session, refreshing its activity, or creates one. Concurrent calls for one
   * user leave one session and all return its `sessionId`; exactly one of them reports `created`.
   * An expired session is replaced by a new one (new `sessionId`, empty data).
   */
  async createOrGet(
    userId: string,
    source: Source = 'Website',
  ): Promise<{ session: Session; created: boolean }> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const channel = parseInput(sourceSchema, source, 'source');
    // Two rounds suffice: the second update only fails if the item expired again within milliseconds.
    for (let attempt = 0; ; attempt++) {
      const times = this.#activity(id);
      const candidate = randomUUID();
      try {
        const { Attributes } = await this.#send(
          new UpdateCommand(createOrGetRequest(this.#table, id, candidate, channel, times)),
        );
        const session = toSession(Attributes ?? {});
        return { session, created: session.sessionId === candidate };
      } catch (error) {
        if (!isConditionFailed(error) || attempt > 0) throw error;
      }
      // An expired item is still stored: replace it, unless a concurrent call already did.
      const item = newSessionItem(id, randomUUID(), channel, times);
      try {
        await this.#send(new PutCommand(replaceExpiredRequest(this.#table, item, times.cutoff)));
        return {
          session: toSession({ ...item } as Record<string, unknown>),
          created: true,
        };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }
  }

  /** The user's live session (a strongly consistent read), or undefined when missing or expired. */
  async get(userId: string): Promise<Session | undefined> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const { Item } = await this.#send(new GetCommand(getRequest(this.#table, id)));
    return this.#liveSession(Item);
  }

  /**
   * Merges `patch` into the live session, adds 1 to its version and refreshes its activity.
   * Throws NotFoundError when there is no live session, VersionConflictError on a stale `expectedVersion`.
   */
  async update(userId: string, patch: SessionPatch, options: WriteOptions = {}): Promise<Session> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const checked = parseInput(patchSchema, patch);
    const times = this.#activity(id);
    const guard = { writeId: randomUUID(), expectedVersion: options.expectedVersion };
    return this.#conditionalUpdate(
      id,
      new UpdateCommand(updateRequest(this.#table, id, checked, times, guard)),
      guard,
    );
  }

  /**
   * Resets `step`, `booking` and `context` to empty, keeping the identity fields; adds 1 to the version.
   * Same errors as `update`.
   */
  async clear(userId: string, options: WriteOptions = {}): Promise<Session> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const times = this.#activity(id);
    const guard = { writeId: randomUUID(), expectedVersion: options.expectedVersion };
    return this.#conditionalUpdate(id, new UpdateCommand(clearRequest(this.#table, id, times, guard)), guard);
  }

  /**
   * Deletes the user's session. Returns false when there was no live session (an expired item is
   * removed all the same). Throws VersionConflictError on a stale `expectedVersion`.
   */
  async delete(userId: string, options: WriteOptions = {}): Promise<boolean> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const cutoff = inactiveCutoff(this.#clock(), this.#inactiveDays);
    try {
      const { Attributes } = await this.#send(
        new DeleteCommand(deleteRequest(this.#table, id, cutoff, options.expectedVersion)),
      );
      return this.#isLive(Attributes, cutoff);
    } catch (error) {
      if (isConditionFailed(error)) {
        throw new VersionConflictError(`session version is not ${options.expectedVersion}`);
      }
      throw error;
    }
  }

  /**
   * Every session inactive for longer than `inactiveDays` at `now`, read from the `byUpdatedAt` index
   * on all shards at once. Never scans the table. Index reads are eventually consistent.
   */
  async *findInactive(
    options: { inactiveDays?: number; now?: Date } = {},
  ): AsyncGenerator<InactiveSession, void, undefined> {
    const cutoff = inactiveCutoff(options.now ?? this.#clock(), options.inactiveDays ?? this.#inactiveDays);
    for await (const page of this.inactivePages(cutoff)) yield* page.sessions;
  }

  /**
   * The pages behind `findInactive`, for an exact cutoff, with their read capacity. Reads the given
   * shard values (all MAX_ACTIVITY_SHARDS by default, so sessions written under any shard count are
   * found) below `inactiveBucketBound(cutoff)`: every entry returned was inactive at `cutoff`, and one
   * that expired less than one activity bucket before it is returned by a later call.
   */
  inactivePages(
    cutoff: string,
    options: InactivePagesOptions = {},
  ): AsyncGenerator<InactivePage, void, undefined> {
    const shards = options.shards ?? ALL_SHARD_VALUES;
    for (const shard of shards) {
      if (!Number.isInteger(shard) || shard < 0 || shard >= MAX_ACTIVITY_SHARDS) {
        throw new RangeError(`shard values run from 0 to ${MAX_ACTIVITY_SHARDS - 1}, got ${shard}`);
      }
    }
    const bound = inactiveBucketBound(cutoff, this.#activityBucketMs);
    return mergeAsync(
      [...new Set(shards)].map((shard) => this.#shardPages(shard, bound)),
      SHARD_READS_IN_FLIGHT,
    );
  }

  /** Deletes a session only if it is still inactive at `cutoff`; one conditional DeleteItem. */
  async deleteIfInactive(userId: string, cutoff: string): Promise<SweepOutcome> {
    try {
      await this.#send(new DeleteCommand(deleteIfInactiveRequest(this.#table, userId, cutoff)));
      return 'deleted';
    } catch (error) {
      if (isConditionFailed(error)) return 'skipped';
      throw error;
    }
  }

  /** Every index entry of one shard value, page by page (the shard backfill's read). */
  async *shardEntryPages(shard: number): AsyncGenerator<ShardEntryPage, void, undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#send(new QueryCommand(shardEntriesRequest(this.#table, shard, startKey)));
      yield {
        entries: (page.Items ?? []).map((item) => ({
          userId: String(item.userId),
          activityShard: Number(item.activityShard),
          updatedAt: String(item.updatedAt),
        })),
        consumedReadCapacity: page.ConsumedCapacity?.CapacityUnits ?? 0,
      };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** The shard a write of `userId` uses under the current shard count. */
  currentShardOf(userId: string): number {
    return activityShardOf(userId, this.#activityShards);
  }

  /**
   * Moves a session's index entry to its shard under the current count, if the entry is unchanged since
   * it was read; one conditional UpdateItem, none when it is already there.
   */
  async moveToCurrentShard(entry: ShardEntry): Promise<MoveOutcome> {
    const target = this.currentShardOf(entry.userId);
    if (target === entry.activityShard) return 'unchanged';
    try {
      await this.#send(new UpdateCommand(moveToShardRequest(this.#table, entry.userId, entry, target)));
      return 'moved';
    } catch (error) {
      if (isConditionFailed(error)) return 'skipped';
      throw error;
    }
  }

  async *#shardPages(shard: number, bucketBound: string): AsyncGenerator<InactivePage, void, undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#send(
        new QueryCommand(inactiveQueryRequest(this.#table, shard, bucketBound, startKey)),
      );
      const sessions = (page.Items ?? []).map((item) => ({
        userId: String(item.userId),
        updatedAt: String(item.updatedAt),
      }));
      yield {
        sessions,
        consumedReadCapacity: page.ConsumedCapacity?.CapacityUnits ?? 0,
      };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async #conditionalUpdate(userId: string, command: UpdateCommand, guard: WriteGuard): Promise<Session> {
    try {
      const { Attributes } = await this.#send(command);
      return toSession(Attributes ?? {});
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    // The rare path: one more read tells the cause. The write may itself have been applied by an
    // attempt whose answer was lost; the SDK's retry then failed the "not already applied" condition.
    const { Item } = await this.#send(new GetCommand(getRequest(this.#table, userId)));
    if (Item !== undefined && Item.lastWriteId === guard.writeId) return toSession(Item);
    const current = this.#liveSession(Item);
    if (current === undefined) throw new NotFoundError('session not found');
    if (guard.expectedVersion !== undefined && current.version !== guard.expectedVersion) {
      throw new VersionConflictError(`session version is ${current.version}, not ${guard.expectedVersion}`);
    }
    // The session was missing or expired when written, and has been created again since.
    throw new NotFoundError('session not found');
  }

  /** The times and index placement of an activity of `userId` now. */
  #activity(userId: string): ActivityTimes {
    return activityTimes(this.#clock(), this.#inactiveDays, {
      userId,
      activityShards: this.#activityShards,
      activityBucketMs: this.#activityBucketMs,
    });
  }

  #isLive(item: Record<string, unknown> | undefined, cutoff: string): item is Record<string, unknown> {
    // An item written before `updatedAtExact` existed holds its exact last activity in `updatedAt`.
    const lastActivity = item?.updatedAtExact ?? item?.updatedAt;
    return item !== undefined && typeof lastActivity === 'string' && lastActivity >= cutoff;
  }

  #liveSession(item: Record<string, unknown> | undefined): Session | undefined {
    const cutoff = inactiveCutoff(this.#clock(), this.#inactiveDays);
    return this.#isLive(item, cutoff) ? toSession(item) : undefined;
  }

  /** Sends one request; transport failures and throttling become UnavailableError, the rest is untouched. */
  #send = ((command: Parameters<DynamoDBDocumentClient['send']>[0]) =>
    this.#doc.send(command).catch((error: unknown) => {
      throw translateDynamoError(error);
    })) as DynamoDBDocumentClient['send'];
}
