/**
 * A typed client for the chatbot Lambda: invokes the session functions directly with the AWS SDK and
 * turns their `{ok, ...}` envelopes back into results and typed errors.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { errorFromBody, InternalError, NotFoundError } from './errors.ts';
import type { BookingPatch, Context, Source } from './schema.ts';
import type { Session } from './session.ts';

export * from './errors.ts';
export type { Session };

export type SessionFunction = 'createOrGet' | 'getSession' | 'update' | 'clear' | 'delete';

export interface SessionClientOptions {
  /** The Lambda client to invoke with; a default one for the environment's region if omitted. */
  lambda?: LambdaClient;
  /** The deployed stage; function names are `<service>-<stage>-<function>`. */
  stage?: string;
  service?: string;
  /** Explicit function names (or ARNs), overriding the derived ones. */
  functionNames?: Partial<Record<SessionFunction, string>>;
}

export interface Patch {
  step?: string | null;
  booking?: BookingPatch;
  context?: Context;
}

export interface VersionOption {
  /** The write succeeds only if the session still has this version; else VersionConflictError. */
  expectedVersion?: number;
}

const FUNCTIONS: SessionFunction[] = ['createOrGet', 'getSession', 'update', 'clear', 'delete'];

export class SessionClient {
  readonly #lambda: LambdaClient;
  readonly #names: Record<SessionFunction, string>;

  constructor(options: SessionClientOptions = {}) {
    this.#lambda = options.lambda ?? new LambdaClient({});
    const prefix = `${options.service ?? 'session-service'}-${options.stage ?? 'dev'}`;
    this.#names = Object.fromEntries(
      FUNCTIONS.map((name) => [name, options.functionNames?.[name] ?? `${prefix}-${name}`]),
    ) as Record<SessionFunction, string>;
  }

  /** The user's live session, created with `source` (default Chatbot) when there is none. */
  async createOrGet(userId: string, source?: Source): Promise<{ session: Session; created: boolean }> {
    const result = await this.#invoke('createOrGet', { userId, ...(source ? { source } : {}) });
    return { session: result.session as Session, created: result.created === true };
  }

  /** The user's live session, or undefined when there is none. */
  async get(userId: string): Promise<Session | undefined> {
    try {
      return (await this.#invoke('getSession', { userId })).session as Session;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Merges the patch into the live session. Throws NotFoundError or VersionConflictError. */
  async update(userId: string, patch: Patch, options: VersionOption = {}): Promise<Session> {
    return (await this.#invoke('update', { userId, ...patch, ...options })).session as Session;
  }

  /** Empties step, booking and context. Throws NotFoundError or VersionConflictError. */
  async clear(userId: string, options: VersionOption = {}): Promise<Session> {
    return (await this.#invoke('clear', { userId, ...options })).session as Session;
  }

  /** Deletes the live session; false when there was none. Throws VersionConflictError. */
  async delete(userId: string, options: VersionOption = {}): Promise<boolean> {
    try {
      return (await this.#invoke('delete', { userId, ...options })).deleted === true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  async #invoke(name: SessionFunction, payload: object): Promise<Record<string, unknown>> {
    const response = await this.#lambda.send(
      new InvokeCommand({
        FunctionName: this.#names[name],
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    if (response.FunctionError) {
      throw new InternalError(`${this.#names[name]} failed (${response.FunctionError})`);
    }
    const body = JSON.parse(new TextDecoder().decode(response.Payload ?? new Uint8Array())) as {
      ok?: boolean;
      error?: { code?: unknown; message?: unknown; details?: unknown };
    } & Record<string, unknown>;
    if (body.ok === true) return body;
    throw errorFromBody(body.error ?? {});
  }
}
