/**
 * The one place where input from outside is checked: HTTP bodies, direct-invocation payloads,
 * the sweep's options, and the arguments the repository accepts. Every rule of the session lives here.
 */
// zod/mini: the same rules as zod's classic API at a fraction of the bundle size and start-up cost.
import * as z from 'zod/mini';
import { MAX_ACTIVITY_SHARDS } from '../config.ts';
import { type ErrorDetail, ValidationError } from '../errors.ts';
import { attributeSize } from './item-size.ts';

export const LIMITS = {
  userIdLength: 128,
  stepLength: 64,
  shortText: 100,
  notes: 1000,
  email: 254,
  partySizeMax: 50,
  contextBytes: 8 * 1024,
  contextDepth: 5,
  /** Top-level context keys one write may set or remove: keeps the UpdateExpression far under 4 KB. */
  contextKeysPerWrite: 64,
  /** Top-level context keys a stored session may hold; with the per-key bound it caps the item size. */
  contextKeysStored: 64,
  /** One top-level context key, name and value, as DynamoDB counts item size. */
  contextKeyBytes: 320,
  /** The stored item, as DynamoDB counts it: what the limits above add up to (tests/integration/store/size-bound.test.ts). */
  itemBytes: 32 * 1024,
  idempotencyKeyLength: 255,
  bodyBytes: 16 * 1024,
  inactiveDaysMax: 3650,
} as const;

/** Keys that would reach an object's prototype if a consumer ever merged them naively. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Fields the service owns; a caller that tries to set one gets a clear message rather than "unknown". */
const SERVICE_OWNED_FIELDS = new Set([
  'userId',
  'sessionId',
  'version',
  'createdAt',
  'updatedAt',
  'expiresAt',
]);

export const SOURCES = ['Website', 'Chatbot'] as const;
export type Source = (typeof SOURCES)[number];

/*
 * Every schema is built on first use, not at import: each function uses only a few of them, and
 * building them all was a measurable part of every cold start. The exported schemas are `z.lazy`
 * wrappers, which parse exactly as the schema they build.
 */

/** Builds the value on the first call and returns that same value on every call. */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

const userId = once(() =>
  z.string({ error: 'must be a string' }).check(
    z.regex(/^[A-Za-z0-9._:@+-]{1,128}$/, {
      error: `must be 1-${LIMITS.userIdLength} characters from A-Z a-z 0-9 . _ : @ + -`,
    }),
    // "." and ".." are path segments; no real user id looks like that, and proxies treat them specially.
    z.refine((id: string) => !/^\.+$/.test(id), { error: 'must not consist of dots only' }),
  ),
);
export const userIdSchema = z.lazy(userId);

const source = once(() => z.enum(SOURCES, { error: 'must be "Website" or "Chatbot"' }));
export const sourceSchema = z.lazy(source);

const step = once(() =>
  z.nullable(
    z.string({ error: 'must be a string or null' }).check(
      z.regex(/^[a-z0-9_.-]{1,64}$/, {
        error: `must be 1-${LIMITS.stepLength} characters from a-z 0-9 _ . -`,
      }),
    ),
  ),
);

function isRealDate(value: string): boolean {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * An unpaired UTF-16 surrogate ("\ud800") is not a Unicode character: JSON.parse accepts the escape,
 * but it has no UTF-8 encoding, so DynamoDB may refuse or alter it. Refused wherever a string is taken.
 */
const UNPAIRED_SURROGATE = 'must not contain unpaired UTF-16 surrogates';
const wellFormed = once(() =>
  z.refine<string>((value) => value.isWellFormed(), { error: UNPAIRED_SURROGATE }),
);

const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .check(z.maxLength(max, { error: `must be at most ${max} characters` }), wellFormed());

/** A whole number from `min` to `max`, telling "not a number" from "not whole" from "out of range". */
const wholeNumber = (min: number, max: number, range: string) =>
  z
    .int({
      error: (issue) => (typeof issue.input === 'number' ? 'must be a whole number' : 'must be a number'),
    })
    .check(z.minimum(min, { error: range }), z.maximum(max, { error: range }));

const NOT_A_DATE = 'must be a real date (YYYY-MM-DD)';

const bookingFields = once(() => ({
  service: text(LIMITS.shortText),
  date: z
    .string({ error: 'must be a string' })
    .check(
      z.regex(/^\d{4}-\d{2}-\d{2}$/, { error: NOT_A_DATE }),
      z.refine(isRealDate, { error: NOT_A_DATE }),
    ),
  time: z
    .string({ error: 'must be a string' })
    .check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a 24-hour time (HH:MM)' })),
  partySize: wholeNumber(1, LIMITS.partySizeMax, `must be from 1 to ${LIMITS.partySizeMax}`),
  name: text(LIMITS.shortText),
  phone: z
    .string({ error: 'must be a string' })
    .check(z.regex(/^\+[1-9]\d{1,14}$/, { error: 'must be an E.164 phone number, such as +447700900123' })),
  email: z
    .email({ error: 'must be a valid email address' })
    .check(z.maxLength(LIMITS.email, { error: `must be at most ${LIMITS.email} characters` }), wellFormed()),
  notes: text(LIMITS.notes),
}));
type BookingFields = ReturnType<typeof bookingFields>;

export type BookingField = keyof BookingFields;

/** A stored booking: every field optional. Only a type; writes are checked with the patch schema below. */
export type Booking = { [K in BookingField]?: z.infer<BookingFields[K]> };

/** A booking patch: a value sets the field, null removes it. */
const bookingPatch = once(() =>
  z.partial(
    z.strictObject(
      Object.fromEntries(
        Object.entries(bookingFields()).map(([key, schema]) => [key, z.nullable(schema)]),
      ) as {
        [K in BookingField]: z.ZodMiniNullable<BookingFields[K]>;
      },
    ),
  ),
);
const bookingPatchSchema = z.lazy(bookingPatch);
export type BookingPatch = z.infer<typeof bookingPatchSchema>;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Context = { [key: string]: JsonValue };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const UNSTORABLE_NUMBER = 'must be a safe integer or a number of magnitude from 1e-130 to 1e125';

/** DynamoDB numbers span 1e-130 to 1e126, and integers beyond 2^53 would not survive the round trip. */
function isStorableNumber(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (Number.isInteger(value)) return Number.isSafeInteger(value);
  const magnitude = Math.abs(value);
  return magnitude >= 1e-130 && magnitude < 1e126;
}

/** Checks JSON types, forbidden and empty keys, and nesting; returns the first problem found. */
function findContextProblem(value: unknown, path: string, depth: number): ErrorDetail | undefined {
  if (typeof value === 'string') {
    return value.isWellFormed() ? undefined : { path, message: UNPAIRED_SURROGATE };
  }
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return isStorableNumber(value) ? undefined : { path, message: UNSTORABLE_NUMBER };
  }
  if (Array.isArray(value)) {
    if (depth + 1 > LIMITS.contextDepth) {
      return {
        path,
        message: `must be at most ${LIMITS.contextDepth} levels deep`,
      };
    }
    for (const [index, item] of value.entries()) {
      const problem = findContextProblem(item, `${path}[${index}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return { path, message: 'must hold only JSON values' };
  if (depth + 1 > LIMITS.contextDepth) {
    return {
      path,
      message: `must be at most ${LIMITS.contextDepth} levels deep`,
    };
  }
  for (const key of Object.keys(value)) {
    const keyPath = path === '' ? key : `${path}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) return { path: keyPath, message: `"${key}" is not allowed as a key` };
    if (key === '') return { path: keyPath, message: 'keys must not be empty' };
    if (!key.isWellFormed()) return { path: keyPath, message: `keys ${UNPAIRED_SURROGATE}` };
    const problem = findContextProblem(value[key], keyPath, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

function contextSchema() {
  return z.unknown().check(
    z.superRefine((value, ctx) => {
      if (!isPlainObject(value)) {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return;
      }
      const problem = findContextProblem(value, '', 0);
      if (problem) {
        const path = problem.path === '' ? [] : problem.path.split('.');
        ctx.addIssue({ code: 'custom', message: problem.message, path });
        return;
      }
      if (Buffer.byteLength(JSON.stringify(value)) > LIMITS.contextBytes) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${LIMITS.contextBytes} bytes as JSON` });
      }
    }),
  ) as unknown as z.ZodMiniType<Context>;
}

/** A patch for `context`: each top-level key is set, or removed when null. */
const contextPatch = once(() =>
  contextSchema().check(
    z.refine(
      // Runs even when the value is not an object (already reported above): guard it.
      (context: Context) =>
        !isPlainObject(context) || Object.keys(context).length <= LIMITS.contextKeysPerWrite,
      { error: `must set or remove at most ${LIMITS.contextKeysPerWrite} top-level keys at once` },
    ),
    z.superRefine((context: Context, ctx) => {
      // Runs even when a value is not JSON (already reported above), which has no DynamoDB size.
      if (!isPlainObject(context) || findContextProblem(context, '', 0)) return;
      for (const [key, value] of Object.entries(context)) {
        if (value !== null && attributeSize(key, value) > LIMITS.contextKeyBytes) {
          ctx.addIssue({
            code: 'custom',
            message: `must be at most ${LIMITS.contextKeyBytes} bytes with its key`,
            path: [key],
          });
        }
      }
    }),
  ),
);

const NOT_OBJECT = { error: 'must be a JSON object' };

/** Any whole number from 1: one beyond 2^53 names no version that can exist, so it gives a conflict. */
const expectedVersion = once(() =>
  z
    .number({ error: 'must be a number' })
    .check(
      z.refine(Number.isInteger, { error: 'must be a whole number' }),
      z.minimum(1, { error: 'must be at least 1' }),
    ),
);

/** Printable ASCII, as the Idempotency-Key header field allows. */
const idempotencyKey = once(() =>
  z.string({ error: 'must be a string' }).check(
    z.regex(/^[\x20-\x7e]{1,255}$/, {
      error: `must be 1-${LIMITS.idempotencyKeyLength} printable ASCII characters`,
    }),
  ),
);
export const idempotencyKeySchema = z.lazy(idempotencyKey);

/** `null` on a whole field empties it: step becomes null, booking and context become {}. */
const patchFields = once(() => ({
  step: step(),
  booking: z.nullable(bookingPatch()),
  context: z.nullable(contextPatch()),
}));

const nonEmptyPatch = (patch: { step?: unknown; booking?: unknown; context?: unknown }) =>
  patch.step !== undefined || patch.booking !== undefined || patch.context !== undefined;
const EMPTY_PATCH = { error: 'must set at least one of step, booking or context' };

const patch = once(() =>
  z.partial(z.strictObject(patchFields(), NOT_OBJECT)).check(z.refine(nonEmptyPatch, EMPTY_PATCH)),
);
export const patchSchema = z.lazy(patch);
export type SessionPatch = z.infer<typeof patchSchema>;

const versionedUserFields = () => ({
  userId: userId(),
  expectedVersion: z.optional(expectedVersion()),
  expectedSessionId: z.optional(text(64)),
  idempotencyKey: z.optional(idempotencyKey()),
  callId: z.optional(idempotencyKey()),
});

/**
 * What a write request carries beside its data, from either entry point: a precondition (If-Match, or
 * expectedVersion/expectedSessionId), an idempotency key, and (invoke only) the id of the call.
 */
export interface RequestWriteOptions {
  expectedVersion?: number | undefined;
  expectedSessionId?: string | undefined;
  idempotencyKey?: string | undefined;
  callId?: string | undefined;
}

/** HTTP bodies, one per route that takes one. */
export const httpBodies = {
  createOrGet: z.lazy(() => z.strictObject({ source: z.optional(source()) }, NOT_OBJECT)),
  update: patchSchema,
  empty: z.lazy(() => z.strictObject({}, NOT_OBJECT)),
};

/** Direct-invocation payloads from the chatbot Lambda. */
export const invokePayloads = {
  createOrGet: z.lazy(() =>
    z.strictObject(
      {
        userId: userId(),
        source: z.optional(source()),
        idempotencyKey: z.optional(idempotencyKey()),
        callId: z.optional(idempotencyKey()),
      },
      NOT_OBJECT,
    ),
  ),
  getSession: z.lazy(() => z.strictObject({ userId: userId() }, NOT_OBJECT)),
  update: z.lazy(() =>
    z
      .strictObject(
        {
          ...versionedUserFields(),
          step: z.optional(patchFields().step),
          booking: z.optional(patchFields().booking),
          context: z.optional(patchFields().context),
        },
        NOT_OBJECT,
      )
      .check(z.refine(nonEmptyPatch, EMPTY_PATCH)),
  ),
  clear: z.lazy(() => z.strictObject(versionedUserFields(), NOT_OBJECT)),
  delete: z.lazy(() => z.strictObject(versionedUserFields(), NOT_OBJECT)),
  // Unconditional: erase takes no precondition, and its key and callId only make a repeat welcome.
  erase: z.lazy(() =>
    z.strictObject(
      {
        userId: userId(),
        idempotencyKey: z.optional(idempotencyKey()),
        callId: z.optional(idempotencyKey()),
      },
      NOT_OBJECT,
    ),
  ),
  exportUser: z.lazy(() => z.strictObject({ userId: userId() }, NOT_OBJECT)),
};

export const sweepInputSchema = z.lazy(() =>
  z.strictObject(
    {
      inactiveDays: z.optional(
        wholeNumber(1, LIMITS.inactiveDaysMax, `must be from 1 to ${LIMITS.inactiveDaysMax}`),
      ),
      dryRun: z.optional(z.boolean({ error: 'must be true or false' })),
      // A scheduled worker's share of the index's shard values; omitted, the sweep covers every one.
      shards: z.optional(
        z
          .array(wholeNumber(0, MAX_ACTIVITY_SHARDS - 1, `must be from 0 to ${MAX_ACTIVITY_SHARDS - 1}`), {
            error: 'must be a list of shard values',
          })
          .check(
            z.minLength(1, { error: 'must name at least one shard value' }),
            z.maxLength(MAX_ACTIVITY_SHARDS, {
              error: `must name at most ${MAX_ACTIVITY_SHARDS} shard values`,
            }),
          ),
      ),
    },
    NOT_OBJECT,
  ),
);

/** The value at `path` in `input`, to tell a missing field from one of the wrong type. */
function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, prefix: string, input: unknown): ErrorDetail[] {
  const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = base === '' ? key : `${base}.${key}`;
      const owned = base === '' && (SERVICE_OWNED_FIELDS.has(key) || key === 'source');
      return {
        path,
        message: owned ? 'may not be set by callers' : 'is not a known field',
      };
    });
  }
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
    return [{ path: base, message: 'is required' }];
  }
  return [{ path: base, message: issue.message }];
}

/**
 * Parses `input` against `schema`, or throws a ValidationError whose message names the first problem
 * ("booking.date must be a real date (YYYY-MM-DD)") and whose details list them all.
 */
export function parseInput<T>(schema: z.ZodMiniType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) => describeIssue(issue, prefix, input));
  const first = details[0];
  const message = first ? `${first.path === '' ? 'input' : first.path} ${first.message}` : 'invalid input';
  throw new ValidationError(message, { details });
}

/**
 * Parses a request body that may be absent: no body at all counts as `{}`, but a body of JSON `null`
 * is a body that is not an object, and is refused like any other.
 */
export function parseOptionalBody<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  return parseInput(schema, body === undefined ? {} : body);
}
