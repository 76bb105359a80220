/**
 * A typed client for the chatbot Lambda: invokes the session functions directly with the AWS SDK and
 * turns their `{ok, ...}` envelopes back into results and typed errors.
 *
 * At run time it needs only @aws-sdk/client-lambda and lib/errors.ts; everything else it imports is a type.
 */
import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import {
  errorFromBody,
  InternalError,
  keyUsedBy,
  NotFoundError,
  UnavailableError,
  ValidationError,
  VersionConflictError,
} from '../errors.ts';
import type { SessionPatch, Source } from '../session/schema.ts';
import type { Session } from '../session/session.ts';

export * from '../errors.ts';
export type { Session };

/** The deployed function names; each is also the name of the client method that invokes it. */
export type SessionFunction = 'createOrGet' | 'getSession' | 'update' | 'clear' | 'delete';

/** What an update may change: the same type the service validates against, never a copy of it. */
export type Patch = SessionPatch;

/** Backoff of `mutate` after a VERSION_CONFLICT. */
export interface RetryOptions {
  /** Attempts before `mutate` gives up with VersionConflictError (default 5). */
  attempts?: number;
  /** The smallest backoff window, in milliseconds (default 50). */
  baseDelayMs?: number;
  /** The largest backoff window, in milliseconds (default 2000). */
  maxDelayMs?: number;
}

export interface SessionClientOptions {
  /** The Lambda client to invoke with; a default one for the environment's region if omitted. */
  lambda?: LambdaClient;
  /** The deployed stage; function names are `<service>-<stage>-<function>`. */
  stage?: string;
  service?: string;
  /** Explicit function names (or ARNs), overriding the derived ones. */
  functionNames?: Partial<Record<SessionFunction, string>>;
  /** Defaults for every `mutate` call of this client. */
  retry?: RetryOptions;
  /** Waits between `mutate` attempts (default: a timer). Replaceable to keep tests fast. */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) that places each backoff in its window (default Math.random). */
  random?: () => number;
  /** Milliseconds, to time an attempt (default performance.now). */
  now?: () => number;
}

export interface KeyOption {
  /**
   * Makes the write happen once however often it is sent: the chatbot passes the inbound message's id.
   * A repeat with the same key and the same request applies nothing and answers as the first did,
   * marked as a replay (see `wasReplayed`).
   */
  idempotencyKey?: string;
}

export interface WriteOptions extends KeyOption {
  /** The write succeeds only if the session still has this version; else VersionConflictError. */
  expectedVersion?: number;
  /** The write succeeds only if the live session is this one (not a later one); else VersionConflictError. */
  expectedSessionId?: string;
}

/** The fields of a session that identify the state a caller saw: a write conditioned on them. */
export type SessionRef = Pick<Session, 'userId' | 'sessionId' | 'version'>;

export interface MutateOptions extends KeyOption, RetryOptions {}

export interface MutateResult {
  /** The session with this call's write included. */
  session: Session;
  /** True when the write had already been applied under the same idempotency key, and was not applied again. */
  replayed: boolean;
  /** How many read-modify-write attempts it took. */
  attempts: number;
}

/** Fields the client sets itself; a patch that carries one could send the write elsewhere. */
const CLIENT_FIELDS = ['userId', 'expectedVersion', 'expectedSessionId', 'idempotencyKey', 'callId'] as const;

const FUNCTIONS: SessionFunction[] = ['createOrGet', 'getSession', 'update', 'clear', 'delete'];

const IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED';

const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 5, baseDelayMs: 50, maxDelayMs: 2000 };

/**
 * The backoff window starts at this many times the attempt's own duration: contenders for one session
 * collide within about one read-modify-write, so a window several of them wide lets them land one after
 * another instead of colliding again.
 */
const WINDOW_PER_ATTEMPT_DURATION = 4;

/** Sessions that came from an answer marked as a replay. A WeakSet keeps the Session type unchanged. */
const replays = new WeakSet<Session>();

/**
 * True when `session` was returned for a write that had already been applied under the same idempotency
 * key: nothing was applied again, and the session is the one the service answered the first time.
 */
export function wasReplayed(session: Session): boolean {
  return replays.has(session);
}

type Envelope = Record<string, unknown> & {
  ok?: unknown;
  error?: { code?: unknown; message?: unknown; details?: unknown };
};

export class SessionClient {
  readonly #lambda: LambdaClient;
  readonly #names: Record<SessionFunction, string>;
  readonly #retry: Required<RetryOptions>;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(options: SessionClientOptions = {}) {
    this.#lambda = options.lambda ?? new LambdaClient({});
    const prefix = `${options.service ?? 'session-service'}-${options.stage ?? 'dev'}`;
    this.#names = Object.fromEntries(
      FUNCTIONS.map((name) => [name, options.functionNames?.[name] ?? `${prefix}-${name}`]),
    ) as Record<SessionFunction, string>;
    this.#retry = { ...DEFAULT_RETRY, ...definedOnly(options.retry) };
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * The user's live session, created with `source` (default Chatbot) when there is none. `created` is
   * true when this call (or the first call under its idempotency key) created it.
   */
  async createOrGet(
    userId: string,
    source?: Source,
    options: KeyOption = {},
  ): Promise<{ session: Session; created: boolean; replayed: boolean }> {
    const result = await this.#invoke('createOrGet', {
      ...(source ? { source } : {}),
      userId,
      ...keyOf(options),
    });
    return {
      session: result.session as Session,
      created: result.created === true,
      replayed: isReplay(result),
    };
  }

  /** The user's live session, or undefined when there is none. */
  async getSession(userId: string): Promise<Session | undefined> {
    try {
      return (await this.#invoke('getSession', { userId })).session as Session;
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
  async update(userId: string, patch: Patch, options?: WriteOptions): Promise<Session>;
  async update(target: string | SessionRef, patch: Patch, options: WriteOptions = {}): Promise<Session> {
    return sessionOf(await this.#invoke('update', updatePayload(target, patch, options)));
  }

  /** Empties step, booking and context. Conditioned like `update`. Throws NotFoundError or VersionConflictError. */
  async clear(session: SessionRef, options?: KeyOption): Promise<Session>;
  async clear(userId: string, options?: WriteOptions): Promise<Session>;
  async clear(target: string | SessionRef, options: WriteOptions = {}): Promise<Session> {
    return sessionOf(await this.#invoke('clear', writeFields(target, options)));
  }

  /**
   * Deletes the live session: true when it was deleted (by this call, or by the first call under its
   * idempotency key), false when there was none. Conditioned like `update`. Throws VersionConflictError.
   */
  async delete(session: SessionRef, options?: KeyOption): Promise<boolean>;
  async delete(userId: string, options?: WriteOptions): Promise<boolean>;
  async delete(target: string | SessionRef, options: WriteOptions = {}): Promise<boolean> {
    try {
      return (await this.#invoke('delete', writeFields(target, options))).deleted === true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /**
   * Read-modify-write: reads the session, asks `fn` for a patch, and updates on the condition that the
   * session is still the one read (its version and sessionId). When another write landed in between, it
   * re-reads and calls `fn` again after a jittered backoff, up to `attempts` (default 5), then throws
   * VersionConflictError. `fn` may therefore run more than once, and must only compute the patch.
   *
   * - No live session: NotFoundError, and nothing is created. Creating here would bring back a session
   *   that someone deleted on purpose; call `createOrGet` first where that is wanted.
   * - With `idempotencyKey`: a write already applied under that key is not applied again, and the
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
    const { attempts, baseDelayMs, maxDelayMs } = { ...this.#retry, ...definedOnly(options) };
    for (let attempt = 1; ; attempt++) {
      const started = this.#now();
      const session = await this.getSession(userId);
      if (!session) throw new NotFoundError('session not found');
      const patch = await fn(session);
      const body = await this.#call('update', updatePayload(session, patch, options));
      if (body.ok === true) {
        const updated = sessionOf(body);
        return { session: updated, replayed: wasReplayed(updated), attempts: attempt };
      }
      const error = body.error ?? {};
      if (
        error.code === IDEMPOTENCY_KEY_REUSED &&
        options.idempotencyKey !== undefined &&
        usedByUpdate(error)
      ) {
        // Already applied, perhaps after the read above: read again for the session with that write in
        // it. The service answers 404 for a key spent on an earlier lifetime, so this is the same
        // lifetime unless it ended in the meantime.
        const current = await this.getSession(userId);
        if (current?.sessionId !== session.sessionId) {
          throw new NotFoundError('the session this message was applied to no longer exists');
        }
        replays.add(current);
        return { session: current, replayed: true, attempts: attempt };
      }
      if (error.code !== 'VERSION_CONFLICT') throw errorFromBody(error);
      if (attempt >= attempts) {
        throw new VersionConflictError(`the session kept changing: gave up after ${attempt} attempts`);
      }
      const duration = this.#now() - started;
      const window = Math.min(
        maxDelayMs,
        Math.max(baseDelayMs, WINDOW_PER_ATTEMPT_DURATION * duration) * 2 ** (attempt - 1),
      );
      await this.#sleep(this.#random() * window);
    }
  }

  /** Invokes the function and returns its answer; an `ok: false` answer becomes its typed error. */
  async #invoke(name: SessionFunction, payload: object): Promise<Envelope> {
    const body = await this.#call(name, payload);
    if (body.ok === true) return body;
    throw errorFromBody(body.error ?? {});
  }

  /**
   * Invokes the function and returns its envelope, `ok` or not. A write carries a new `callId`: the
   * Lambda SDK resends the same payload when an answer is lost after the function ran (a dropped
   * connection), and the service applies a write with a callId it has recorded only once.
   */
  async #call(name: SessionFunction, payload: object): Promise<Envelope> {
    const functionName = this.#names[name];
    const sent = name === 'getSession' ? payload : { ...payload, callId: crypto.randomUUID() };
    let response: InvokeCommandOutput;
    try {
      response = await this.#lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          Payload: new TextEncoder().encode(JSON.stringify(sent)),
        }),
      );
    } catch (error) {
      // Lambda refused to start the function (the SDK already retried): nothing ran, so it is safe to retry.
      if (error instanceof TooManyRequestsException) {
        throw new UnavailableError(`${functionName} is throttled; retry later`, { cause: error });
      }
      throw error;
    }
    // The functions answer every failure with an envelope; a FunctionError is a crash or a timeout.
    if (response.FunctionError) {
      throw new InternalError(`${functionName} failed (${response.FunctionError})`);
    }
    const body = parseEnvelope(response.Payload);
    if (!body) throw new InternalError(`${functionName} answered something other than an envelope`);
    return body;
  }
}

/** Whether the key of an IDEMPOTENCY_KEY_REUSED was first used by an update: a write `mutate` may have made. */
function usedByUpdate(error: { details?: unknown }): boolean {
  const expected = keyUsedBy('update');
  return (
    Array.isArray(error.details) &&
    error.details.some(
      (detail: { path?: unknown; message?: unknown }) =>
        detail.path === expected.path && detail.message === expected.message,
    )
  );
}

function parseEnvelope(payload: Uint8Array | undefined): Envelope | undefined {
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array()));
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

function isReplay(body: Envelope): boolean {
  return body.replayed === true;
}

function sessionOf(body: Envelope): Session {
  const session = body.session as Session;
  if (isReplay(body)) replays.add(session);
  return session;
}

function keyOf(options: KeyOption): KeyOption {
  return options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey };
}

/**
 * The client's own fields, picked one by one (an options object may carry anything). A session target
 * conditions the write on the state it holds.
 */
function writeFields(target: string | SessionRef, options: WriteOptions): Record<string, unknown> {
  const conditions =
    typeof target === 'string'
      ? { expectedVersion: options.expectedVersion, expectedSessionId: options.expectedSessionId }
      : { expectedVersion: target.version, expectedSessionId: target.sessionId };
  return {
    userId: typeof target === 'string' ? target : target.userId,
    ...definedOnly(conditions),
    ...keyOf(options),
  };
}

/**
 * `{...patch, ...client fields}`: the client's fields come last so that they win, and a patch that
 * carries one is refused outright. The chatbot may act for any user, so a patch built by code or by a
 * language model must not be able to move the write to another user or drop its conditions.
 */
function updatePayload(
  target: string | SessionRef,
  patch: Patch,
  options: WriteOptions,
): Record<string, unknown> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new ValidationError('patch must be an object', {
      details: [{ path: 'patch', message: 'must be an object' }],
    });
  }
  const carried = CLIENT_FIELDS.filter((field) => Object.hasOwn(patch, field));
  if (carried.length > 0) {
    throw new ValidationError(`patch.${carried[0]} may not be set in a patch`, {
      details: carried.map((field) => ({ path: `patch.${field}`, message: 'may not be set in a patch' })),
    });
  }
  return { ...patch, ...writeFields(target, options) };
}

/** The object without its undefined fields, so that spreading it never overrides a default with nothing. */
function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}
