import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { activityTimes, type Clock, inactiveCutoff, systemClock } from './clock.ts';
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
  newSessionItem,
  replaceExpiredRequest,
  updateRequest,
  type WriteGuard,
} from './session-requests.ts';
import { ACTIVITY_SHARDS } from './shard.ts';

export interface SessionRepositoryOptions {
  tableName: string;
  /** Days without activity after which a session is gone for every operation. */
  inactiveDays: number;
  clock?: Clock;
}

export interface WriteOptions {
  /** When given, the write succeeds only if the stored version still equals it. */
  expectedVersion?: number | undefined;
}

/** An index entry of a session that has been inactive longer than the window. */
export interface InactiveSession {
  userId: string;
  updatedAt: string;
}

/** One page of index entries, with the read capacity DynamoDB charged for it. */
export interface InactivePage {
  sessions: InactiveSession[];
  consumedReadCapacity: number;
}

export type SweepOutcome = 'deleted' | 'skipped';

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

  constructor(doc: DynamoDBDocumentClient, options: SessionRepositoryOptions) {
    this.#doc = doc;
    this.#table = options.tableName;
    this.#inactiveDays = options.inactiveDays;
    this.#clock = options.clock ?? systemClock;
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
      const times = activityTimes(this.#clock(), this.#inactiveDays);
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
    const times = activityTimes(this.#clock(), this.#inactiveDays);
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
    const times = activityTimes(this.#clock(), this.#inactiveDays);
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
   * The pages behind `findInactive`, for a given cutoff, with their read capacity. `signal` aborts the
   * reads in flight (with their retries): the sweep's deadline.
   */
  inactivePages(
    cutoff: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<InactivePage, void, undefined> {
    const shards = Array.from({ length: ACTIVITY_SHARDS }, (_, shard) =>
      this.#shardPages(shard, cutoff, options.signal),
    );
    return mergeAsync(shards);
  }

  /**
   * Deletes a session only if it is still inactive at `cutoff`; one conditional DeleteItem. `signal`
   * aborts it in flight, retries included; the delete may then have been applied or not.
   */
  async deleteIfInactive(
    userId: string,
    cutoff: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<SweepOutcome> {
    try {
      await this.#send(new DeleteCommand(deleteIfInactiveRequest(this.#table, userId, cutoff)), {
        abortSignal: options.signal,
      });
      return 'deleted';
    } catch (error) {
      if (isConditionFailed(error)) return 'skipped';
      throw error;
    }
  }

  async *#shardPages(
    shard: number,
    cutoff: string,
    signal?: AbortSignal,
  ): AsyncGenerator<InactivePage, void, undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#send(
        new QueryCommand(inactiveQueryRequest(this.#table, shard, cutoff, startKey)),
        { abortSignal: signal },
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

  #isLive(item: Record<string, unknown> | undefined, cutoff: string): item is Record<string, unknown> {
    return item !== undefined && typeof item.updatedAt === 'string' && item.updatedAt >= cutoff;
  }

  #liveSession(item: Record<string, unknown> | undefined): Session | undefined {
    const cutoff = inactiveCutoff(this.#clock(), this.#inactiveDays);
    return this.#isLive(item, cutoff) ? toSession(item) : undefined;
  }

  /** Sends one request; transport failures and throttling become UnavailableError, the rest is untouched. */
  #send = ((
    command: Parameters<DynamoDBDocumentClient['send']>[0],
    options?: { abortSignal?: AbortSignal | undefined },
  ) =>
    this.#doc.send(command, options).catch((error: unknown) => {
      throw translateDynamoError(error);
    })) as DynamoDBDocumentClient['send'];
}
