/**
 * The write registers: what a session remembers of its last writes, so that a write sent twice (the SDK
 * retrying after a lost answer, or a caller repeating an idempotency key or a callId) is applied once.
 *
 * Two shift registers of top-level string attributes, updated inside the write itself: a recorded write
 * moves the entries of its register one slot down (the oldest falls off) and puts itself in slot 0, on the
 * condition that its id begins no slot of that register.
 * - The key register `k0`…`kk` (KEY_REGISTER: slots 0 to 20, numbered in base 36) holds keyed writes; only they shift it, so a website's
 *   unkeyed writes never push a key out.
 * - The retry register `r0`…`r7` (RETRY_REGISTER) holds unkeyed updates, clears and deletes, by a random
 *   id per call or one derived from the caller's callId; only that call's own retries look for it.
 * A create-or-get without a key records nothing: its candidate sessionId tells its own retries apart.
 *
 * An entry is 15 base64url characters: the write id (48 bits, 8 characters), a hash of the request (24
 * bits, 4) and an 18-bit word (3) holding a per-request nonce (15 bits) and the operation (3 bits). Text,
 * not binary: `begins_with` on a string is what every DynamoDB, local ones included, evaluates alike; the
 * id fills whole characters, so it is a prefix of its entry. The odds behind each length:
 * - a new write's id equals one of the at most 21 ids of its register in that session with odds of
 *   21 / 2^48 ≈ 7.5e-14 per write; the write would then answer as already applied without being applied.
 *   At 20,000 writes/s that is about once in 21 years for a whole deployment;
 * - a key reused for another request goes unnoticed (answered as a replay, not refused) with odds 2^-24;
 * - a replay is reported as the request's own retry (no `replayed` mark) with odds 2^-15.
 *
 * Lifetimes: the registers outlive a session (a tombstone and the replacement of a dead session keep
 * them), so an entry may belong to an earlier lifetime. The write that begins a lifetime copies each
 * register's newest entry into `kBefore` / `rBefore` (LIFETIME_BOUNDARIES): that entry and every older one
 * belong to earlier lifetimes, and a replay of such a write has no session to answer with.
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * Slots of the key register: a key is still honoured after KEY_SLOTS - 1 = 20 later keyed writes to the
 * same session, whatever number of unkeyed writes came between; the 21st later keyed write forgets it.
 */
export const KEY_SLOTS = 21;

/**
 * Slots of the retry register. An unkeyed write's id is random per call, so only that call's own retries
 * ever look for it: the SDK's attempts (3 by default) within the function's 10 s timeout. Its entry
 * survives 7 later unkeyed writes to the same session: far more than one person's website or a chatbot
 * turn writes within those seconds. A caller that needs more writes a key.
 */
export const RETRY_SLOTS = 8;

/** A register's slot names, newest first. */
export type Register = readonly [newest: string, ...older: string[]];

/** Slot names: the register's letter and the slot's number in base 36, so every name is 2 characters. */
const register = (prefix: string, slots: number): Register => [
  `${prefix}0`,
  ...Array.from({ length: slots - 1 }, (_, slot) => `${prefix}${(slot + 1).toString(36)}`),
];
export const KEY_REGISTER: Register = register('k', KEY_SLOTS);
export const RETRY_REGISTER: Register = register('r', RETRY_SLOTS);

/** Per register, the attribute holding its newest entry when the current lifetime began. */
export const LIFETIME_BOUNDARIES = { key: 'kBefore', retry: 'rBefore' } as const;

/** The operations that record themselves, as stored in an entry's low 3 bits. */
const OPERATION_CODES = { update: 1, clear: 2, delete: 3, createOrGet: 4 } as const;
export type RecordedOperation = keyof typeof OPERATION_CODES;

/** Bits of each field; the id's and the hash's fill whole base64 characters (6 bits each). */
const ID_BITS = 48;
const REQUEST_HASH_BITS = 24;
const NONCE_BITS = 15;
const ID_CHARS = ID_BITS / 6;
const REQUEST_HASH_CHARS = REQUEST_HASH_BITS / 6;
/** Nonce and operation: 18 bits, 3 characters. */
const WORD_CHARS = 3;
export const ENTRY_CHARS = ID_CHARS + REQUEST_HASH_CHARS + WORD_CHARS;

/** The first `bits` of a SHA-256, as base64url (a whole number of characters). */
function hash(text: string, bits: number): string {
  return createHash('sha256')
    .update(text)
    .digest()
    .subarray(0, bits / 8)
    .toString('base64url');
}

const word = (value: number) =>
  Buffer.from([value >>> 16, (value >>> 8) & 0xff, value & 0xff])
    .toString('base64url')
    .slice(1);

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

/** One logical write, as the registers know it. */
export interface WriteIdentity {
  /** Hash of the idempotency key or callId, or random: what a register is searched for. */
  writeId: string;
  /** Hash of what the request asks for: a key sent with another request is refused. */
  requestHash: string;
  /** Tells this request's own earlier attempt (a lost answer) from an earlier request with the same key. */
  nonce: number;
  /** Recorded in the key register (a key was given) rather than the retry register. */
  keyed: boolean;
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
      ? hash(`key:${idempotencyKey}`, ID_BITS)
      : callId !== undefined
        ? hash(`call:${callId}`, ID_BITS)
        : randomBytes(ID_BITS / 8).toString('base64url');
  const nonceSource =
    callId === undefined ? randomBytes(2) : createHash('sha256').update(`nonce:${callId}`).digest();
  return {
    writeId,
    requestHash: hash(canonical({ operation, request }), REQUEST_HASH_BITS),
    nonce: (((nonceSource[0] ?? 0) << 8) | (nonceSource[1] ?? 0)) >>> (16 - NONCE_BITS),
    keyed: idempotencyKey !== undefined,
    operation,
  };
}

/** The entry a write stores in slot 0 of its register. */
export function writeEntry(write: WriteIdentity): string {
  return write.writeId + write.requestHash + word((write.nonce << 3) | OPERATION_CODES[write.operation]);
}

/** An entry found in a stored item. */
export interface RecordedWrite {
  requestHash: string;
  nonce: number;
  /** The operation that recorded it; undefined for a code this version does not know. */
  operation: RecordedOperation | undefined;
  /** The write went to an earlier lifetime of the session (since deleted or expired, and replaced). */
  earlierLifetime: boolean;
}

const REGISTERS = [
  [KEY_REGISTER, LIFETIME_BOUNDARIES.key],
  [RETRY_REGISTER, LIFETIME_BOUNDARIES.retry],
] as const;

/** The 18-bit word of an entry's last three characters. */
const wordOf = (entry: string) => {
  const bytes = Buffer.from(`A${entry.slice(ENTRY_CHARS - WORD_CHARS)}`, 'base64url');
  return ((bytes[0] ?? 0) << 16) | ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0);
};

/**
 * The entry of `writeId` in a stored item, if either register still holds it (an id is only ever recorded
 * in the register of its kind; looking in both costs nothing on this rare path).
 */
export function findRecordedWrite(
  item: Record<string, unknown> | undefined,
  writeId: string,
): RecordedWrite | undefined {
  if (item === undefined) return undefined;
  for (const [slots, boundaryName] of REGISTERS) {
    const boundary = item[boundaryName];
    // Slots run newest first: from the boundary entry on, every entry is from an earlier lifetime.
    let earlierLifetime = false;
    for (const name of slots) {
      const slot = item[name];
      if (typeof slot !== 'string' || slot.length !== ENTRY_CHARS) continue;
      if (slot === boundary) earlierLifetime = true;
      if (!slot.startsWith(writeId)) continue;
      const packed = wordOf(slot);
      return {
        requestHash: slot.slice(ID_CHARS, ID_CHARS + REQUEST_HASH_CHARS),
        nonce: packed >>> 3,
        operation: operationOfCode(packed & 0b111),
        earlierLifetime,
      };
    }
  }
  return undefined;
}

function operationOfCode(code: number): RecordedOperation | undefined {
  return (Object.keys(OPERATION_CODES) as RecordedOperation[]).find(
    (operation) => OPERATION_CODES[operation] === code,
  );
}

/** Whether a recorded entry was made by a request asking for the same thing as `write`. */
export function sameRequest(recorded: RecordedWrite, write: WriteIdentity): boolean {
  return recorded.requestHash === write.requestHash;
}

/** Entries recorded in a stored item, per register: what an export counts, never shows. */
export function recordedCounts(item: Record<string, unknown>): { keyed: number; unkeyed: number } {
  const count = (slots: Register) =>
    slots.filter((name) => {
      const slot = item[name];
      return typeof slot === 'string' && slot.length === ENTRY_CHARS;
    }).length;
  return { keyed: count(KEY_REGISTER), unkeyed: count(RETRY_REGISTER) };
}

/** One register's update and condition. */
export interface RegisterExpressions {
  /**
   * Fails when this very write is already recorded: the SDK retried a request whose answer was lost, or a
   * caller sent the same idempotency key again. Without it the write would be applied a second time.
   */
  notRecorded: string;
  /** Moves every entry one slot down (the oldest falls off) and puts the new entry (`:entry`) in slot 0. */
  shift: string;
  names: Record<string, string>;
}

function registerExpressions(slots: Register): RegisterExpressions {
  const moves = slots
    .slice(1)
    .map((name, index) => `#${name} = if_not_exists(#${slots[index]}, :none)`)
    .reverse();
  return {
    notRecorded: slots.map((name) => `NOT begins_with(#${name}, :writeId)`).join(' AND '),
    shift: [...moves, `#${slots[0]} = :entry`].join(', '),
    names: Object.fromEntries(slots.map((name) => [`#${name}`, name])),
  };
}

/**
 * A write checks and shifts only the register of its kind. That is enough: a keyed id (a hash of the key)
 * is only ever recorded in the key register, and an unkeyed id is random per call (or derived from its
 * callId) and only ever recorded, in the retry register, by that call's own attempts.
 */
export const REGISTER_EXPRESSIONS = {
  key: registerExpressions(KEY_REGISTER),
  retry: registerExpressions(RETRY_REGISTER),
} as const;
