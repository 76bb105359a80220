import { createHash, randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  IdempotencyKeyReusedError,
  keyUsedBy,
  NotFoundError,
  SessionTooLargeError,
  VersionConflictError,
} from '../errors.ts';
import {
  idempotencyKeySchema,
  LIMITS,
  parseInput,
  patchSchema,
  type SessionPatch,
  type Source,
  sourceSchema,
  userIdSchema,
} from '../session/schema.ts';
import type { Session, UserExport } from '../session/session.ts';
import { type ActivityTimes, activityTimes, type Clock, inactiveCutoff } from './clock.ts';
import { type Precondition, preconditionHolds } from './conditions.ts';
import { isConditionFailed, translateDynamoError } from './dynamo-errors.ts';
import { isLive, readItem, type SessionItem, toSession } from './item.ts';
import { eraseRequest, exportOfItem, exportRequest } from './privacy-requests.ts';
import {
  clearRequest,
  createOrGetRequest,
  deleteRequest,
  getRequest,
  replaceDeadRequest,
  updateRequest,
  type WritePlan,
} from './session-requests.ts';
import { type StoreOptions, storeSettings } from './store-options.ts';
import { classifyFailure, failedItem, type WriteFailure } from './write-failure.ts';
import { type RecordedOperation, writeIdentity } from './write-register.ts';

/** How a caller makes a write conditional and safe to send again. */
export interface WriteOptions extends Precondition {
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

/**
 * The sessionId a create-or-get proposes. Derived from the key or callId when there is one, so that a
 * repeat of the call (a replay, or the Lambda SDK resending the Invoke) proposes the same one and can tell
 * whether it created the session it finds; random otherwise, and then the same across the SDK's retries,
 * which resend the request as it is.
 */
function candidateSessionId(userId: string, idempotencyKey?: string, callId?: string): string {
  const source =
    idempotencyKey !== undefined
      ? `key:${idempotencyKey}`
      : callId !== undefined
        ? `call:${callId}`
        : undefined;
  if (source === undefined) return randomUUID();
  const hex = createHash('sha256').update(`session:${userId}:${source}`).digest('hex');
  // Shaped as an RFC 9562 version 8 (custom) UUID.
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A dead item holding the sessionId this create-or-get proposed: its own session, deleted before this
 * retry of the call. There is nothing to answer with, and nothing is brought back.
 */
const ownSessionDeleted = () => new NotFoundError('the session this request created has since been deleted');

/**
 * The only code that talks to the sessions table's items. Every operation is exactly one DynamoDB request,
 * on its rare outcomes too (a replay, 404, 409, 412, 422), with one exception: a create-or-get that finds a
 * tombstone or an expired session replaces it with a second write (docs/DESIGN.md says why). Expiry is
 * exact: a session inactive longer than the window is gone for every operation, whether or not the sweep
 * has removed it yet.
 */
export class SessionRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #inactiveDays: number;
  readonly #clock: Clock;
  readonly #activityShards: number;
  readonly #activityBucketMs: number;

  constructor(doc: DynamoDBDocumentClient, options: StoreOptions) {
    const settings = storeSettings(options);
    this.#doc = doc;
    this.#table = settings.tableName;
    this.#inactiveDays = settings.inactiveDays;
    this.#clock = settings.clock;
    this.#activityShards = settings.activityShards;
    this.#activityBucketMs = settings.activityBucketMs;
  }

  get tableName(): string {
    return this.#table;
  }

  /**
   * Returns the user's live session, refreshing its activity, or creates one. Concurrent calls for one
   * user leave one session and all return its `sessionId`; exactly one of them reports `created`, also when
   * the answer of the creating write was lost and the SDK retried it. A tombstone or an expired session is
   * replaced by a new one (new `sessionId`, empty data). A repeat with the same key answers as the first
   * call did (`created` included), marked `replayed`. When the session the call created was deleted before
   * its retry, or its key belongs to an earlier lifetime, there is none to answer with: NotFoundError.
   */
  async createOrGet(
    userId: string,
    source: Source = 'Website',
    options: Pick<WriteOptions, 'idempotencyKey' | 'callId'> = {},
  ): Promise<CreateOrGetOutcome> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const channel = parseInput(sourceSchema, source, 'source');
    const key = this.#key(options.idempotencyKey);
    const callId = this.#callId(options.callId);
    const plan: WritePlan = {
      // Without a key the call records nothing: its candidate tells its own retries apart.
      write: key === undefined ? undefined : writeIdentity('createOrGet', { source: channel }, key, callId),
      times: this.#activity(id),
      precondition: {},
    };
    const candidate = candidateSessionId(id, key, callId);
    const created = (session: Session) => session.sessionId === candidate;
    const failure = await this.#write(createOrGetRequest(this.#table, id, candidate, channel, plan), plan);
    if (failure.cause === 'applied') {
      const session = this.#session(failure.attributes);
      return { session, created: created(session), replayed: false };
    }
    if (failure.cause === 'recorded') {
      const session = this.#replayedSession(failure.item);
      return { session, created: created(session), replayed: failure.replayed };
    }
    if (failure.cause !== 'not-live') throw this.#error(failure, plan);
    if (failure.item?.sessionId === candidate) throw ownSessionDeleted();
    return this.#replaceDead(id, candidate, channel, plan);
  }

  /**
   * The second write of a create-or-get that found a tombstone or an expired session, conditioned on it
   * still being dead. If another call revived it meanwhile, the live session it finds is the answer.
   */
  async #replaceDead(
    userId: string,
    candidate: string,
    source: Source,
    plan: WritePlan,
  ): Promise<CreateOrGetOutcome> {
    try {
      const { Attributes } = await this.#send(
        new UpdateCommand(replaceDeadRequest(this.#table, userId, candidate, source, plan)),
      );
      return { session: this.#session(Attributes), created: true, replayed: false };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const stored = failedItem(error);
      const item = stored === undefined ? undefined : readItem(stored);
      if (item !== undefined && isLive(item, plan.times.cutoff)) {
        const session = toSession(item, this.#inactiveDays);
        return { session, created: session.sessionId === candidate, replayed: false };
      }
      if (item?.sessionId === candidate) throw ownSessionDeleted();
      const failure = classifyFailure(stored, plan, this.#clock());
      if (failure.cause !== 'recorded') throw this.#error(failure, plan);
      const session = this.#replayedSession(failure.item);
      return { session, created: session.sessionId === candidate, replayed: failure.replayed };
    }
  }

  /**
   * The user's live session (a strongly consistent read), or undefined when missing or expired. With a
   * precondition (If-Match), a live session of another lifetime or version throws VersionConflictError.
   */
  async get(userId: string, precondition: Precondition = {}): Promise<Session | undefined> {
    const id = parseInput(userIdSchema, userId, 'userId');
    const { Item } = await this.#send(new GetCommand(getRequest(this.#table, id)));
    const item = Item === undefined ? undefined : readItem(Item);
    if (item === undefined || !isLive(item, inactiveCutoff(this.#clock(), this.#inactiveDays)))
      return undefined;
    if (!preconditionHolds(precondition, item)) {
      throw new VersionConflictError('the session does not match If-Match');
    }
    return toSession(item, this.#inactiveDays);
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
    const setKeys = Object.entries(checked.context ?? {})
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key]) => key);
    const plan = this.#plan(id, 'update', checked, options);
    plan.room = setKeys.length > 0 ? { setKeys, maxKeys: LIMITS.contextKeysStored } : undefined;
    return this.#sessionWrite(updateRequest(this.#table, id, checked, plan), plan);
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
    const plan = this.#plan(id, 'clear', {}, options);
    return this.#sessionWrite(clearRequest(this.#table, id, plan), plan);
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
    const plan = this.#plan(id, 'delete', {}, options);
    const outcome = await this.#write(deleteRequest(this.#table, id, plan), plan);
    if (outcome.cause === 'applied') return { deleted: true, replayed: false };
    if (outcome.cause === 'recorded') return { deleted: true, replayed: outcome.replayed };
    if (outcome.cause === 'not-live') return { deleted: false, replayed: false };
    throw this.#error(outcome, plan);
  }

  /** An update or clear: the session it wrote, or the one a replay answers with. */
  async #sessionWrite(input: UpdateCommand['input'], plan: WritePlan): Promise<WriteOutcome> {
    const outcome = await this.#write(input, plan);
    if (outcome.cause === 'applied') return { session: this.#session(outcome.attributes), replayed: false };
    if (outcome.cause === 'recorded') {
      return { session: this.#replayedSession(outcome.item), replayed: outcome.replayed };
    }
    throw this.#error(outcome, plan);
  }

  /**
   * Sends one conditional write. It was applied, or its condition failed and the item DynamoDB returned
   * with the failure tells why; nothing else is sent.
   */
  async #write(
    input: UpdateCommand['input'],
    plan: WritePlan,
  ): Promise<{ cause: 'applied'; attributes: Record<string, unknown> | undefined } | WriteFailure> {
    try {
      const { Attributes } = await this.#send(new UpdateCommand(input));
      return { cause: 'applied', attributes: Attributes };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return classifyFailure(failedItem(error), plan, this.#clock());
    }
  }

  /** The error a failed write answers with. */
  #error(failure: Exclude<WriteFailure, { cause: 'recorded' }>, plan: WritePlan): Error {
    switch (failure.cause) {
      case 'earlier-lifetime':
        return new NotFoundError('the session this request wrote to no longer exists');
      case 'key-reused': {
        const field = plan.write?.keyed === false ? 'callId' : 'idempotencyKey';
        return new IdempotencyKeyReusedError(`this ${field} was used for another request; use a new one`, {
          details: failure.firstOperation === undefined ? [] : [keyUsedBy(failure.firstOperation, field)],
        });
      }
      case 'not-live':
        return new NotFoundError('session not found');
      case 'stale': {
        const { expectedSessionId, expectedVersion } = plan.precondition;
        return expectedSessionId !== undefined && failure.item.sessionId !== expectedSessionId
          ? new VersionConflictError('the session was replaced since that version')
          : new VersionConflictError(`session version is ${failure.item.version}, not ${expectedVersion}`);
      }
      case 'no-room':
        return new SessionTooLargeError(
          `the session may hold at most ${LIMITS.contextKeysStored} context keys; remove some (set them to null) first`,
        );
    }
  }

  /** The plan of an update, clear or delete; a key is checked here, before anything is sent. */
  #plan(userId: string, operation: RecordedOperation, input: unknown, options: WriteOptions): WritePlan {
    const key = this.#key(options.idempotencyKey);
    const precondition = {
      expectedSessionId: options.expectedSessionId,
      expectedVersion: options.expectedVersion,
    };
    return {
      write: writeIdentity(operation, { input, precondition }, key, this.#callId(options.callId)),
      times: this.#activity(userId),
      precondition,
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
   * What a replay answers with: the session the recorded write went to, as it is now (that write and any
   * later ones applied). If it is gone (deleted or expired since), there is none to answer with.
   */
  #replayedSession(item: SessionItem | undefined): Session {
    if (item === undefined || !isLive(item, inactiveCutoff(this.#clock(), this.#inactiveDays))) {
      throw new NotFoundError('the session this request wrote to no longer exists');
    }
    return toSession(item, this.#inactiveDays);
  }

  #session(attributes: Record<string, unknown> | undefined): Session {
    return toSession(readItem(attributes ?? {}), this.#inactiveDays);
  }

  /** The times and index placement of an activity of `userId` now. */
  #activity(userId: string): ActivityTimes {
    return activityTimes(this.#clock(), this.#inactiveDays, {
      userId,
      activityShards: this.#activityShards,
      activityBucketMs: this.#activityBucketMs,
    });
  }

  /** Sends one request; transport failures and throttling become UnavailableError, the rest is untouched. */
  #send = ((command: Parameters<DynamoDBDocumentClient['send']>[0]) =>
    this.#doc.send(command).catch((error: unknown) => {
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
    return exportOfItem(id, Item, this.#inactiveDays, inactiveCutoff(this.#clock(), this.#inactiveDays));
  }
}
