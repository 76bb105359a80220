/**
 * The methods both clients offer, written once on top of a transport: the Lambda invoke client and the
 * HTTP client differ only in how a call reaches the service. A new operation is one method here and one
 * line in each transport's table.
 */
import { errorFromBody, NotFoundError, VersionConflictError } from '../errors.ts';
import { markReplayed, wasReplayed } from './held.ts';
import {
  type Answer,
  type Call,
  type CallOptions,
  checkedPatch,
  type KeyOption,
  newKey,
  type Transport,
  usedByUpdate,
} from './requests.ts';
import { backoff, CONFLICT_RETRY, type RetryOptions, retryOf, type Timing, timingOf } from './retry.ts';
import type { Patch, Session, SessionRef, Source } from './types.ts';

export interface MutateOptions extends KeyOption, RetryOptions {}

export interface MutateResult {
  /** The session with this call's write included. */
  session: Session;
  /** True when the write had already been applied under the same idempotency key, and was not applied again. */
  replayed: boolean;
  /** How many read-modify-write attempts it took. */
  attempts: number;
}

export interface CreateOrGetResult {
  session: Session;
  /** True when this call (or the first call under its idempotency key) created the session. */
  created: boolean;
  replayed: boolean;
}

export interface ClientOptions extends Timing {
  /** Defaults for every `mutate` call of this client: 5 attempts, windows from 50 to 2000 ms. */
  retry?: RetryOptions;
}

/** How a client keys its writes when the caller gives no key. */
export type KeyPolicy = 'caller' | 'every write';

type Answered = Extract<Answer, { ok: true }>;

export abstract class BaseSessionClient<Options extends CallOptions = CallOptions> {
  readonly #transport: Transport;
  readonly #keys: KeyPolicy;
  readonly #retry: Required<RetryOptions>;
  readonly #timing: Required<Timing>;

  protected constructor(transport: Transport, keys: KeyPolicy, options: ClientOptions) {
    this.#transport = transport;
    this.#keys = keys;
    this.#retry = retryOf(options.retry, CONFLICT_RETRY);
    this.#timing = timingOf(options);
  }

  /**
   * The user's live session, created with `source` (default: Chatbot over invoke, Website over HTTP)
   * when there is none.
   */
  async createOrGet(userId: string, source?: Source, options: KeyOption = {}): Promise<CreateOrGetResult> {
    const idempotencyKey = this.#keyOf(options);
    const answer = await this.#send({
      operation: 'createOrGet',
      userId,
      fields: source ? { source } : {},
      condition: {},
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    return {
      session: answer.session as Session,
      created: answer.created === true,
      replayed: answer.replayed === true,
    };
  }

  /** The user's live session, or undefined when there is none. */
  async getSession(userId: string): Promise<Session | undefined> {
    try {
      return (await this.#send({ operation: 'getSession', userId, fields: {}, condition: {} })).session;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Merges the patch into the live session and returns it. Given a session instead of a user id, the
   * write is conditioned on that session's version and sessionId. Throws NotFoundError,
   * VersionConflictError, or ValidationError for a patch that carries a field the client sets itself.
   */
  async update(session: SessionRef, patch: Patch, options?: KeyOption): Promise<Session>;
  async update(userId: string, patch: Patch, options?: Options): Promise<Session>;
  async update(target: string | SessionRef, patch: Patch, options: CallOptions = {}): Promise<Session> {
    const fields = checkedPatch(patch);
    return this.#written(await this.#send(this.#write('update', target, options, fields)));
  }

  /** Empties step, booking and context. Conditioned like `update`. Throws NotFoundError or VersionConflictError. */
  async clear(session: SessionRef, options?: KeyOption): Promise<Session>;
  async clear(userId: string, options?: Options): Promise<Session>;
  async clear(target: string | SessionRef, options: CallOptions = {}): Promise<Session> {
    return this.#written(await this.#send(this.#write('clear', target, options)));
  }

  /**
   * Deletes the live session: true when it was deleted (by this call, or by the first call under its
   * idempotency key), false when there was none. Conditioned like `update`. Throws VersionConflictError.
   */
  async delete(session: SessionRef, options?: KeyOption): Promise<boolean>;
  async delete(userId: string, options?: Options): Promise<boolean>;
  async delete(target: string | SessionRef, options: CallOptions = {}): Promise<boolean> {
    try {
      return (await this.#send(this.#write('delete', target, options))).deleted === true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /**
   * Erases everything stored about the user at once: the session or its tombstone, and its index entry.
   * Idempotent by nature: a retry or a repeat finds nothing and succeeds the same. A write that comes
   * after it answers NotFoundError; createOrGet starts a new session.
   */
  async erase(userId: string, options: KeyOption = {}): Promise<void> {
    await this.#send(this.#write('erase', userId, options));
  }

  /**
   * Read-modify-write: reads the session, asks `fn` for a patch, and updates on the condition that the
   * session is still the one read (its version and sessionId). When another write landed in between, it
   * re-reads and calls `fn` again after a jittered backoff, up to `attempts` (default 5), then throws
   * VersionConflictError. `fn` may therefore run more than once, and must only compute the patch. Every
   * attempt carries the same idempotency key.
   *
   * - No live session: NotFoundError, and nothing is created. Creating here would bring back a session
   *   that someone deleted on purpose; call `createOrGet` first where that is wanted.
   * - With an idempotency key: a write already applied under that key is not applied again, and the
   *   result is `replayed: true`. A redelivered message usually produces another request (a newer
   *   version, a patch computed from the newer state), which the service refuses as
   *   IDEMPOTENCY_KEY_REUSED; when the key's first request was an update, for `mutate` that too means
   *   "already applied", and the result is the session read again (that write included), with
   *   `replayed: true`. A key first used by another operation (a create-or-get with the same message id)
   *   is an error, never a replay; a key whose write went to a session deleted since is NotFoundError.
   */
  async mutate(
    userId: string,
    fn: (session: Session) => Patch | Promise<Patch>,
    options: MutateOptions = {},
  ): Promise<MutateResult> {
    const { attempts, baseDelayMs, maxDelayMs } = options;
    const retry = retryOf({ attempts, baseDelayMs, maxDelayMs }, this.#retry);
    const idempotencyKey = this.#keyOf(options);
    for (let attempt = 1; ; attempt++) {
      const started = this.#timing.now();
      const session = await this.getSession(userId);
      if (!session) throw new NotFoundError('session not found');
      const fields = checkedPatch(await fn(session));
      const answer = await this.#transport.send(this.#write('update', session, { idempotencyKey }, fields));
      if (answer.ok) {
        const updated = this.#written(answer);
        return { session: updated, replayed: wasReplayed(updated), attempts: attempt };
      }
      const { error } = answer;
      if (error.code === 'IDEMPOTENCY_KEY_REUSED' && idempotencyKey !== undefined && usedByUpdate(error)) {
        // Already applied, perhaps after the read above: read again for the session with that write in
        // it. The service answers 404 for a key spent on an earlier lifetime, so this is the same
        // lifetime unless it ended in the meantime.
        const current = await this.getSession(userId);
        if (current?.sessionId !== session.sessionId) {
          throw new NotFoundError('the session this message was applied to no longer exists');
        }
        markReplayed(current);
        return { session: current, replayed: true, attempts: attempt };
      }
      if (error.code !== 'VERSION_CONFLICT') throw errorFromBody(error);
      if (attempt >= retry.attempts) {
        throw new VersionConflictError(`the session kept changing: gave up after ${attempt} attempts`);
      }
      await backoff(attempt, retry, this.#timing, this.#timing.now() - started);
    }
  }

  /** The key of one user action: the caller's, else a new one when this client keys every write. */
  #keyOf(options: KeyOption): string | undefined {
    return options.idempotencyKey ?? (this.#keys === 'every write' ? newKey() : undefined);
  }

  #write(
    operation: 'update' | 'clear' | 'delete' | 'erase',
    target: string | SessionRef,
    options: CallOptions,
    fields: Record<string, unknown> = {},
  ): Call {
    const held = typeof target === 'string' ? undefined : target;
    const condition = held
      ? { expectedVersion: held.version, expectedSessionId: held.sessionId }
      : { expectedVersion: options.expectedVersion, expectedSessionId: options.expectedSessionId };
    const idempotencyKey = this.#keyOf(options);
    return {
      operation,
      userId: held ? held.userId : (target as string),
      fields,
      condition,
      ...(held ? { held } : {}),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    };
  }

  /** Sends the call; an `ok: false` answer becomes its typed error. */
  async #send(call: Call): Promise<Answered> {
    const answer = await this.#transport.send(call);
    if (answer.ok) return answer;
    throw errorFromBody(answer.error);
  }

  #written(answer: Answered): Session {
    const session = answer.session as Session;
    if (answer.replayed === true) markReplayed(session);
    return session;
  }
}
