/**
 * The write registers: what a session remembers of its last writes, so that a write sent twice (the SDK
 * retrying after a lost answer, or a caller repeating an idempotency key) is applied once.
 *
 * Two shift registers of top-level attributes, updated inside the write itself: each recorded write moves
 * the entries of ITS register one slot down (the oldest falls off) and puts itself in slot 0, on the
 * condition that its id begins no slot of that register.
 * - The key register `w0`…`w20` (KEY_SLOTS) holds keyed writes only; its id is a hash of the idempotency
 *   key. Only keyed writes shift it, so unkeyed writes (a website's PATCHes) never push a key out.
 * - The retry register `r0`…`r7` (RETRY_SLOTS) holds unkeyed writes; its id is random per call and guards
 *   only the SDK's retries of that call.
 * The key register keeps the names of the earlier single register, which held every write: in an item
 * written before the split it simply goes on as the key register (its old unkeyed entries, random ids,
 * fall off as keyed writes follow), so no key recorded then is forgotten sooner than it was.
 *
 * An entry is one fixed-layout string of at most 31 characters: the write id (12), a hash of the request
 * (8: operation, input, precondition), a per-request nonce (4), the operation (1) and, for create-or-get,
 * the first 6 characters of the sessionId it would create. Full, both registers and their lifetime
 * boundaries add at most 1,044 bytes to an item.
 *
 * Lifetimes: the registers outlive a session (a tombstone and its replacement keep them), so an entry may
 * belong to an earlier lifetime of the user's session. The write that begins a lifetime copies each
 * register's newest entry into `wBefore` / `rBefore` (LIFETIME_BOUNDARIES): that entry and every older one
 * belong to earlier lifetimes. A replay of such a write has no session to answer with.
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * Slots of the key register: a key is still honoured after KEY_SLOTS - 1 = 20 later keyed writes of the
 * same user, whatever number of unkeyed writes came between; the 21st later keyed write forgets it.
 */
export const KEY_SLOTS = 21;

/**
 * Slots of the retry register. An unkeyed write's id is random per call, so only that call's own retries
 * ever look for it: the SDK's attempts (3 by default) within the function's 10 s timeout. Its entry
 * survives 7 later unkeyed writes to the same session, so a retry is recognised unless 8 or more other
 * unkeyed writes land on that one user's session within those seconds, far more than one person's
 * website or a chatbot turn writes (about one write per interaction). A caller that needs more writes a
 * key. Each slot costs at most 33 bytes of item size.
 */
export const RETRY_SLOTS = 8;

/** A register's slot names, newest first. */
export type Register = readonly [newest: string, ...older: string[]];

const register = (prefix: string, slots: number): Register => [
  `${prefix}0`,
  ...Array.from({ length: slots - 1 }, (_, slot) => `${prefix}${slot + 1}`),
];
export const KEY_REGISTER: Register = register('w', KEY_SLOTS);
export const RETRY_REGISTER: Register = register('r', RETRY_SLOTS);

/** Per register, the attribute holding its newest entry when the current lifetime began. */
export const LIFETIME_BOUNDARIES = { key: 'wBefore', retry: 'rBefore' } as const;

/** The operations that record themselves, as stored in an entry. */
export const OPERATION_CODES = { update: 'u', clear: 'c', delete: 'd', createOrGet: 'p' } as const;
export type RecordedOperation = keyof typeof OPERATION_CODES;

/** The operation an entry's code stands for. */
export function operationOfCode(code: string): RecordedOperation | undefined {
  return (Object.keys(OPERATION_CODES) as RecordedOperation[]).find(
    (operation) => OPERATION_CODES[operation] === code,
  );
}

/** 72 bits: two ids of one user colliding among 29 entries is about 2^-63 likely. */
const ID_CHARS = 12;
/** 48 bits: enough to tell a key reused for another request. */
const REQUEST_HASH_CHARS = 8;
const NONCE_CHARS = 4;
const CANDIDATE_CHARS = 6;

function hash(text: string, chars: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, chars);
}

/** JSON with object keys in a stable order, so equal requests hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, element]) => element !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, element]) => `${JSON.stringify(key)}:${canonical(element)}`).join(',')}}`;
}

/** One logical write, as the register knows it. */
export interface WriteIdentity {
  /** Hash of the idempotency key, or random: what the register is searched for. */
  writeId: string;
  /** Hash of what the request asks for: a key sent with another request is refused. */
  requestHash: string;
  /** Tells this request's own earlier attempt (a lost answer) from an earlier request with the same key. */
  nonce: string;
  keyed: boolean;
  /** The id comes from the caller (a key or a callId), so another request may carry it: not only a retry. */
  idFromCaller: boolean;
  operation: RecordedOperation;
}

/**
 * The identity of one write. `request` is everything that makes two requests the same one: the validated
 * input and the precondition (If-Match or expectedVersion/expectedSessionId). `callId`, when the caller
 * gives one, names this call across its transport's retries (the Lambda SDK sending an Invoke again): the
 * id and nonce derive from it, so a resent call is recognised as this call, not as a new one.
 */
export function writeIdentity(
  operation: RecordedOperation,
  request: unknown,
  idempotencyKey: string | undefined,
  callId?: string,
): WriteIdentity {
  const writeId =
    idempotencyKey !== undefined
      ? hash(`key:${idempotencyKey}`, ID_CHARS)
      : callId !== undefined
        ? hash(`call:${callId}`, ID_CHARS)
        : randomBytes(9).toString('base64url');
  return {
    writeId,
    requestHash: hash(canonical({ operation, request }), REQUEST_HASH_CHARS),
    nonce: callId === undefined ? randomBytes(3).toString('base64url') : hash(`nonce:${callId}`, NONCE_CHARS),
    keyed: idempotencyKey !== undefined,
    idFromCaller: idempotencyKey !== undefined || callId !== undefined,
    operation,
  };
}

/** The entry a write stores; `candidateSessionId` only for create-or-get. */
export function writeEntry(write: WriteIdentity, candidateSessionId = ''): string {
  return (
    write.writeId +
    write.requestHash +
    write.nonce +
    OPERATION_CODES[write.operation] +
    candidateSessionId.slice(0, CANDIDATE_CHARS)
  );
}

/** An entry found in a stored item. */
export interface RecordedWrite {
  requestHash: string;
  nonce: string;
  operation: string;
  candidatePrefix: string;
  /** The write went to an earlier lifetime of the session (since deleted or expired, and replaced). */
  earlierLifetime: boolean;
}

const REGISTERS = [
  [KEY_REGISTER, LIFETIME_BOUNDARIES.key],
  [RETRY_REGISTER, LIFETIME_BOUNDARIES.retry],
] as const;

/**
 * The entry of `writeId` in a stored item, if either register still holds it (an id is only ever recorded
 * in the register of its kind; looking in both costs nothing on this rare path).
 */
export function findRecordedWrite(
  item: Record<string, unknown> | undefined,
  writeId: string,
): RecordedWrite | undefined {
  if (item === undefined) return undefined;
  for (const [register, boundaryName] of REGISTERS) {
    const boundary = item[boundaryName];
    // Slots run newest first: from the boundary entry on, every entry is from an earlier lifetime.
    let earlierLifetime = false;
    for (const name of register) {
      const slot = item[name];
      if (typeof boundary === 'string' && slot === boundary) earlierLifetime = true;
      if (typeof slot !== 'string' || !slot.startsWith(writeId)) continue;
      let at = ID_CHARS;
      const take = (chars: number) => {
        const part = slot.slice(at, at + chars);
        at += chars;
        return part;
      };
      return {
        requestHash: take(REQUEST_HASH_CHARS),
        nonce: take(NONCE_CHARS),
        operation: take(1),
        candidatePrefix: take(CANDIDATE_CHARS),
        earlierLifetime,
      };
    }
  }
  return undefined;
}
