import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_ACTIVITY_BUCKET_MS, DEFAULT_ACTIVITY_SHARDS } from '../config.ts';
import {
  IdempotencyKeyReusedError,
  keyUsedBy,
  NotFoundError,
  SessionTooLargeError,
  UnavailableError,
  VersionConflictError,
} from '../errors.ts';
import {
  type BookingPatch,
  type Context,
  idempotencyKeySchema,
  LIMITS,
  parseInput,
  patchSchema,
  type SessionPatch,
  type Source,
  sourceSchema,
  userIdSchema,
} from '../session/schema.ts';
import { type Session, toSession } from '../session/session.ts';
import { type ActivityTimes, activityTimes, type Clock, inactiveCutoff, systemClock } from './clock.ts';
import { isConditionFailed, translateDynamoError } from './dynamo-errors.ts';
import { eraseRequest, exportOfItem, exportRequest, type UserExport } from './privacy-requests.ts';
import {
  clearRequest,
  createOrGetRequest,
  deleteIfInactiveRequest,
  deleteRequest,
  getRequest,
  newSessionItem,
  replaceExpiredRequest,
  updateRequest,
  type WriteGuard,
} from './session-requests.ts';
import {
  findRecordedWrite,
  operationOfCode,
  type RecordedOperation,
  type RecordedWrite,
  type WriteIdentity,
  writeIdentity,
} from './write-register.ts';

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

export interface WriteOptions {
  /** When given, the write succeeds only if the stored version still equals it. */
  expectedVersion?: number | undefined;
  /** When given, the write succeeds only if the session is still this lifetime (`sessionId`). */
  expectedSessionId?: string | undefined;
  /**
   * Makes the write idempotent across requests: a second request with the same key and the same input is
   * not applied again and answers as a replay; with other input it is refused (IDEMPOTENCY_KEY_REUSED).
   */
  idempotencyKey?: string | undefined;
  /**
   * Names one call across its transport's retries (SessionClient sends a new one with each call, and the
   * Lambda SDK resends it unchanged): a resent call is applied once and answers as that call, not as a
   * replay. Recorded in the retry register, like an unkeyed write's own id; not a key.
   */
  callId?: string | undefined;
}

/** What a write answered: `replayed` when an earlier request with the same idempotency key applied it. */
export interface WriteOutcome {
  session: Session;
  replayed: boolean;
}

export interface CreateOrGetOutcome extends WriteOutcome {
  created: boolean;
}

export interface DeleteOutcome {
  /** False when there was no live session (nothing was applied). */
  deleted: boolean;
  replayed: boolean;
}

export type { BookingPatch, Context, SessionPatch };

/** How many attempts the SDK made before it gave up on a request; unknown counts as several. */
function attemptsOf(error: unknown): number {
  return (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 2;
}

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
   * user leave one session and all return its `sessionId`; exactly one of them reports `created`, also when
   * the answer of the creating write was lost and the SDK retried it. An expired session or a tombstone is
   * replaced by a new one (new `sessionId`, empty data). Every call records itself (in the retry register,
   * or with an idempotency key in the key register), so a retry never creates a second session; a repeat
   * with the key answers as the first call did (`created` included), marked `replayed`. When the session
   * the call created or found was deleted or replaced before its answer, there is none to answer with:
   * NotFoundError.
   */
  async createOrGet(
    userId: string,
    source: Source = 'Website',
    options: Pick<WriteOptions, 'idempotencyKey' | 'callId'> = {},
  ): Promise<CreateOrGetOutcome> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const channel = parseInput(sourceSchema, source, 'source');
    const write = writeIdentity(
      'createOrGet',
      { source: channel },
      this.#key(options.idempotencyKey),
      this.#callId(options.callId),
    );
    // One candidate for the whole call: if a creating write's answer is lost, the retry still finds it.
    const candidate = randomUUID();
    // Three rounds suffice: a round fails only if another caller revived or replaced the item meanwhile.
    for (let attempt = 0; ; attempt++) {
      const times = this.#activity(id);
      let mayBeRecorded = write.idFromCaller;
      try {
        const { Attributes } = await this.#send(
          new UpdateCommand(createOrGetRequest(this.#table, id, candidate, channel, times, write)),
        );
        const session = toSession(Attributes ?? {});
        return { session, created: session.sessionId === candidate, replayed: false };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        mayBeRecorded ||= attemptsOf(error) > 1;
      }
      // An expired item or a tombstone is stored (or the write is recorded): replace it, unless a
      // concurrent call already did.
      const item = newSessionItem(id, candidate, channel, times);
      try {
        const { Attributes } = await this.#send(
          new UpdateCommand(replaceExpiredRequest(this.#table, item, times, write)),
        );
        return { session: toSession(Attributes ?? {}), created: true, replayed: false };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        mayBeRecorded ||= attemptsOf(error) > 1;
      }
      if (mayBeRecorded) {
        const stored = await this.#read(id);
        const recorded = this.#recorded(stored, write);
        if (recorded !== undefined) {
          const session = this.#replayedSession(stored);
          return {
            session,
            created: session.sessionId.startsWith(recorded.candidatePrefix),
            replayed: recorded.nonce !== write.nonce,
          };
        }
      }
      if (attempt >= 2) throw new UnavailableError('the session changed too often to be created; try again');
    }
  }

  /**
   * The user's live session (a strongly consistent read), or undefined when missing or expired. With a
   * precondition (If-Match), a live session of another lifetime or version throws VersionConflictError.
   */
  async get(
    userId: string,
    precondition: Pick<WriteOptions, 'expectedSessionId' | 'expectedVersion'> = {},
  ): Promise<Session | undefined> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const session = this.#liveSession(await this.#read(id));
    const { expectedSessionId, expectedVersion } = precondition;
    if (
      session !== undefined &&
      ((expectedSessionId !== undefined && expectedSessionId !== session.sessionId) ||
        (expectedVersion !== undefined && expectedVersion !== session.version))
    ) {
      throw new VersionConflictError('the session does not match If-Match');
    }
    return session;
  }

  /**
   * Merges `patch` into the live session, adds 1 to its version and refreshes its activity. Applied
   * exactly once, even when the SDK retries it after a lost answer. Throws NotFoundError when there is no
   * live session, VersionConflictError on a stale precondition, SessionTooLargeError when the stored
   * context has no room for the keys it adds.
   */
  async update(userId: string, patch: SessionPatch, options: WriteOptions = {}): Promise<Session> {
    return (await this.applyUpdate(userId, patch, options)).session;
  }

  /** `update`, telling whether the answer is a replay of an earlier request with the same key. */
  async applyUpdate(userId: string, patch: SessionPatch, options: WriteOptions = {}): Promise<WriteOutcome> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const checked = parseInput(patchSchema, patch);
    const guard = this.#guard('update', checked, options);
    const limits = { contextKeys: LIMITS.contextKeysStored };
    const request = () =>
      new UpdateCommand(updateRequest(this.#table, id, checked, this.#activity(id), guard, limits));
    return this.#conditionalWrite(id, request, guard, (current) => {
      const setKeys = Object.entries(checked.context ?? {}).filter(
        ([, value]) => value !== null && value !== undefined,
      );
      const allExist = setKeys.every(([key]) => Object.hasOwn(current.context, key));
      if (!allExist && Object.keys(current.context).length > LIMITS.contextKeysStored - setKeys.length) {
        throw new SessionTooLargeError(
          `the session may hold at most ${LIMITS.contextKeysStored} context keys; remove some (set them to null) first`,
        );
      }
    });
  }

  /**
   * Resets `step`, `booking` and `context` to empty, keeping the identity fields; adds 1 to the version.
   * Same guarantees and errors as `update`, size aside.
   */
  async clear(userId: string, options: WriteOptions = {}): Promise<Session> {
    return (await this.applyClear(userId, options)).session;
  }

  /** `clear`, telling whether the answer is a replay of an earlier request with the same key. */
  async applyClear(userId: string, options: WriteOptions = {}): Promise<WriteOutcome> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const guard = this.#guard('clear', {}, options);
    const request = () => new UpdateCommand(clearRequest(this.#table, id, this.#activity(id), guard));
    return this.#conditionalWrite(id, request, guard);
  }

  /**
   * Deletes the user's live session, leaving a tombstone that no operation sees. Returns false when there
   * was no live session. Throws VersionConflictError on a stale precondition. A delete whose answer was
   * lost, or a repeat with the same idempotency key, still answers true.
   */
  async delete(userId: string, options: WriteOptions = {}): Promise<boolean> {
    return (await this.applyDelete(userId, options)).deleted;
  }

  /** `delete`, telling whether the answer is a replay of an earlier request with the same key. */
  async applyDelete(userId: string, options: WriteOptions = {}): Promise<DeleteOutcome> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const guard = this.#guard('delete', {}, options);
    for (let round = 0; ; round++) {
      const times = this.#activity(id);
      try {
        await this.#send(new UpdateCommand(deleteRequest(this.#table, id, times, guard)));
        return { deleted: true, replayed: false };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        if (!this.#mayBeRecorded(error, guard)) return this.#purgeExpired(id, times.cutoff);
      }
      const stored = await this.#read(id);
      const recorded = this.#recorded(stored, guard.write);
      // The delete of an earlier lifetime deleted it all the same: the answer stays "deleted".
      if (recorded !== undefined) return { deleted: true, replayed: recorded.nonce !== guard.write.nonce };
      const current = this.#liveSession(stored);
      if (current === undefined) return this.#purgeExpired(id, times.cutoff);
      if (!this.#matches(current, guard)) throw this.#conflict(current, guard);
      // A session that matches was created, or came to match, after the failed attempt: delete it now.
      if (round >= 2) throw new UnavailableError('the session changed too often to be deleted; try again');
    }
  }

  /**
   * No live session to delete: an expired item's data is removed all the same (it is dead, and the user
   * asked for it gone); a tombstone is left to keep its write registers. Answers "nothing deleted".
   */
  async #purgeExpired(userId: string, cutoff: string): Promise<DeleteOutcome> {
    try {
      await this.#send(
        new DeleteCommand(deleteIfInactiveRequest(this.#table, userId, cutoff, 'keep-tombstones')),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    return { deleted: false, replayed: false };
  }

  /** The write's identity and precondition; a key is checked here, before anything is sent. */
  #guard(operation: RecordedOperation, input: unknown, options: WriteOptions): WriteGuard {
    const key = this.#key(options.idempotencyKey);
    const precondition = { sessionId: options.expectedSessionId, version: options.expectedVersion };
    return {
      write: writeIdentity(operation, { input, precondition }, key, this.#callId(options.callId)),
      expectedVersion: options.expectedVersion,
      expectedSessionId: options.expectedSessionId,
    };
  }

  #key(idempotencyKey: string | undefined): string | undefined {
    return idempotencyKey === undefined
      ? undefined
      : parseInput(idempotencyKeySchema, idempotencyKey, 'idempotencyKey');
  }

  #callId(callId: string | undefined): string | undefined {
    return callId === undefined ? undefined : parseInput(idempotencyKeySchema, callId, 'callId');
  }

  /**
   * Whether a failed condition may be this write already recorded: always when the caller gave its id (an
   * earlier request may have carried the same key or callId), otherwise only if the SDK sent more than one
   * attempt, one of which may have been applied with its answer lost. Without a precondition the failure
   * then means "no live session".
   */
  #mayBeRecorded(error: unknown, guard: WriteGuard): boolean {
    return (
      guard.write.idFromCaller ||
      attemptsOf(error) > 1 ||
      guard.expectedVersion !== undefined ||
      guard.expectedSessionId !== undefined
    );
  }

  /**
   * Sends an update or clear. On a failed condition (the rare path) one read tells the cause: the write is
   * recorded (its own lost answer, or a repeated key), the session is gone, the precondition is stale, or
   * `checkRoom` finds no room for it. When none holds any more (the session was created, or made room,
   * after the attempt), the write is sent again: at most three rounds.
   */
  async #conditionalWrite(
    userId: string,
    request: () => UpdateCommand,
    guard: WriteGuard,
    checkRoom: (current: Session) => void = () => undefined,
  ): Promise<WriteOutcome> {
    for (let round = 0; ; round++) {
      const command = request();
      let mayBeRecorded = true;
      try {
        const { Attributes } = await this.#send(command);
        return { session: toSession(Attributes ?? {}), replayed: false };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        mayBeRecorded = this.#mayBeRecorded(error, guard);
      }
      const hasRoomCondition = command.input.ExpressionAttributeValues?.[':contextRoom'] !== undefined;
      if (!mayBeRecorded && !hasRoomCondition) throw new NotFoundError('session not found');
      const stored = await this.#read(userId);
      const recorded = this.#recorded(stored, guard.write);
      if (recorded !== undefined) {
        return {
          session: this.#replayedSession(stored),
          replayed: recorded.nonce !== guard.write.nonce,
        };
      }
      const current = this.#liveSession(stored);
      if (current === undefined) throw new NotFoundError('session not found');
      if (!this.#matches(current, guard)) throw this.#conflict(current, guard);
      checkRoom(current);
      if (round >= 2) throw new UnavailableError('the session changed too often to be written; try again');
    }
  }

  /** Whether the live session satisfies the write's precondition (none given: any does). */
  #matches(current: Session, guard: WriteGuard): boolean {
    return (
      (guard.expectedSessionId === undefined || current.sessionId === guard.expectedSessionId) &&
      (guard.expectedVersion === undefined || current.version === guard.expectedVersion)
    );
  }

  #conflict(current: Session, guard: WriteGuard): VersionConflictError {
    if (guard.expectedSessionId !== undefined && current.sessionId !== guard.expectedSessionId) {
      return new VersionConflictError('the session was replaced since that version');
    }
    return new VersionConflictError(`session version is ${current.version}, not ${guard.expectedVersion}`);
  }

  /**
   * The entry of `write` in the stored register. A key whose write went to an earlier lifetime has no
   * session to answer with, whatever the request (a delete did delete); the same key with another
   * request is refused.
   */
  #recorded(stored: Record<string, unknown> | undefined, write: WriteIdentity): RecordedWrite | undefined {
    const recorded = findRecordedWrite(stored, write.writeId);
    if (recorded === undefined) return undefined;
    if (recorded.earlierLifetime && write.operation !== 'delete') {
      throw new NotFoundError('the session this request wrote to no longer exists');
    }
    if (recorded.requestHash !== write.requestHash) {
      const first = operationOfCode(recorded.operation);
      const field = write.keyed ? 'idempotencyKey' : 'callId';
      throw new IdempotencyKeyReusedError(`this ${field} was used for another request; use a new one`, {
        details: first === undefined ? [] : [keyUsedBy(first, field)],
      });
    }
    return recorded;
  }

  /**
   * What a replay answers with: the session the recorded write went to, as it is now (that write and any
   * later ones applied). If it is gone (deleted or expired since), there is no session to answer with;
   * `#recorded` has already refused a write that went to an earlier lifetime.
   */
  #replayedSession(stored: Record<string, unknown> | undefined): Session {
    const current = this.#liveSession(stored);
    if (current === undefined) throw new NotFoundError('the session this request wrote to no longer exists');
    return current;
  }

  async #read(userId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#send(new GetCommand(getRequest(this.#table, userId)));
    return Item;
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
    return (
      item !== undefined &&
      item.deletedAt === undefined &&
      typeof lastActivity === 'string' &&
      lastActivity >= cutoff
    );
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

  /**
   * Erases everything stored about the user at once, in one unconditional DeleteItem: the session (live
   * or expired) or its tombstone, the write registers, and so the `byUpdatedAt` index entry. Idempotent
   * by nature: a retry or a repeat finds nothing and succeeds the same. `erased` tells whether an item was
   * there (false on the SDK's retry of an erase whose answer was lost). Afterwards update, clear and delete
   * find no item and answer NotFoundError (their conditions require a live item, so none recreates it),
   * and create-or-get starts a new session. `idempotencyKey` and `callId` are validated, not recorded:
   * there is nothing left to record them in, and nothing to tell apart.
   */
  async erase(
    userId: string,
    options: Pick<WriteOptions, 'idempotencyKey' | 'callId'> = {},
  ): Promise<{ erased: boolean }> {
    const id = parseInput(userIdSchema, userId, 'userId');
    this.#key(options.idempotencyKey);
    this.#callId(options.callId);
    const { Attributes } = await this.#send(new DeleteCommand(eraseRequest(this.#table, id)));
    return { erased: Attributes !== undefined };
  }

  /**
   * Everything stored about the user, as one JSON document (one strongly consistent GetItem): the
   * session's fields and timestamps, whether a tombstone exists and when it goes, and how many write ids
   * are remembered (counted, never shown).
   */
  async exportUser(userId: string): Promise<UserExport> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const { Item } = await this.#send(new GetCommand(exportRequest(this.#table, id)));
    return exportOfItem(id, Item, (item) => this.#liveSession(item) !== undefined);
  }
}
