/** What both clients send: the operations, the rules for keys and patches, and the answers they expect. */
import { type ErrorDetail, keyUsedBy, ValidationError } from '../errors.ts';
import type { Patch, Session, SessionRef } from './types.ts';

/** The service's operations; each client method, Lambda function and HTTP route has one of these names. */
export type Operation = 'createOrGet' | 'getSession' | 'update' | 'clear' | 'delete' | 'erase';

export interface KeyOption {
  /**
   * Makes the write happen once however often it is sent: the chatbot passes the inbound message's id,
   * the website the id of the user's action. A repeat with the same key and the same request applies
   * nothing and answers as the first did, marked as a replay (see `wasReplayed`).
   */
  idempotencyKey?: string;
}

/** The state a write is conditioned on: it fails with VersionConflictError when the session moved on. */
export interface Condition {
  /** The write succeeds only if the session still has this version. */
  expectedVersion?: number;
  /** The write succeeds only if the live session is this one (not a later one). */
  expectedSessionId?: string;
}

export interface CallOptions extends KeyOption, Condition {}

/** One call of an operation, as a client hands it to its transport. */
export interface Call {
  operation: Operation;
  userId: string;
  /** The fields of the request: the patch of an update, the source of a create-or-get. */
  fields: Record<string, unknown>;
  condition: Condition;
  /** The session held, when the caller conditioned the write on one. */
  held?: SessionRef;
  idempotencyKey?: string;
}

/** What the service answered, whichever way it was reached. */
export type Answer =
  | {
      ok: true;
      session?: Session;
      created?: boolean;
      deleted?: boolean;
      replayed?: boolean;
      export?: unknown;
    }
  | { ok: false; error: { code?: unknown; message?: unknown; details?: unknown } };

/** Sends one call; throws only when no answer came (the transport's own failures, as typed errors). */
export interface Transport {
  send(call: Call): Promise<Answer>;
}

/** Fields the client sets itself; a patch that carries one could send the write elsewhere. */
const CLIENT_FIELDS = ['userId', 'expectedVersion', 'expectedSessionId', 'idempotencyKey', 'callId'] as const;

/**
 * The patch, checked: the chatbot may act for any user, so a patch built by code or by a language model
 * must not be able to move the write to another user or drop its conditions. A patch that carries a
 * field the client sets itself is refused outright.
 */
export function checkedPatch(patch: Patch): Record<string, unknown> {
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
  return { ...patch };
}

/** Whether the key of an IDEMPOTENCY_KEY_REUSED was first used by an update: a write `mutate` may have made. */
export function usedByUpdate(error: { details?: unknown }): boolean {
  const expected = keyUsedBy('update');
  return (
    Array.isArray(error.details) &&
    error.details.some(
      (detail: Partial<ErrorDetail>) => detail.path === expected.path && detail.message === expected.message,
    )
  );
}

/**
 * A new random key (a version 4 UUID) from `crypto.getRandomValues`, which browsers offer on every
 * page, where `crypto.randomUUID` needs a secure context.
 */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
