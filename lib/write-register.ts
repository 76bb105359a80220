/**
 * The write register: what a session remembers of its last writes, so that a write sent twice (the SDK
 * retrying after a lost answer, or a caller repeating an idempotency key) is applied once.
 *
 * It is a shift register of WRITE_SLOTS top-level attributes `w0`…`w20`, updated inside the write itself:
 * each recorded write moves every entry one slot down (the oldest falls off) and puts itself in `w0`, on
 * the condition that its id begins no slot. One mechanism serves both kinds of write: a keyed write's id
 * is a hash of its idempotency key, an unkeyed write's id is random.
 *
 * An entry is one fixed-layout string of at most 31 characters: the write id (12), a hash of the request
 * (8: operation, input, precondition), a per-request nonce (4), the operation (1) and, for create-or-get,
 * the first 6 characters of the sessionId it would create. Full, the register adds about 0.6 KB to an item.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A key is still honoured after WRITE_SLOTS - 1 later recorded writes of the same user. */
export const WRITE_SLOTS = 21;

export const SLOT_NAMES: readonly string[] = Array.from({ length: WRITE_SLOTS }, (_, slot) => `w${slot}`);

/** The operations that record themselves, as stored in an entry. */
export const OPERATION_CODES = { update: 'u', clear: 'c', delete: 'd', createOrGet: 'p' } as const;
export type RecordedOperation = keyof typeof OPERATION_CODES;

/** 72 bits: two keys of one user colliding among 21 entries is about 2^-64 likely. */
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
  operation: RecordedOperation;
}

/**
 * The identity of one write. `request` is everything that makes two requests the same one: the validated
 * input and the precondition (If-Match or expectedVersion/expectedSessionId).
 */
export function writeIdentity(
  operation: RecordedOperation,
  request: unknown,
  idempotencyKey: string | undefined,
): WriteIdentity {
  return {
    writeId:
      idempotencyKey === undefined
        ? randomBytes(9).toString('base64url')
        : hash(`key:${idempotencyKey}`, ID_CHARS),
    requestHash: hash(canonical({ operation, request }), REQUEST_HASH_CHARS),
    nonce: randomBytes(3).toString('base64url'),
    keyed: idempotencyKey !== undefined,
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
}

/** The entry of `writeId` in a stored item, if the register still holds it. */
export function findRecordedWrite(
  item: Record<string, unknown> | undefined,
  writeId: string,
): RecordedWrite | undefined {
  if (item === undefined) return undefined;
  for (const name of SLOT_NAMES) {
    const slot = item[name];
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
    };
  }
  return undefined;
}
