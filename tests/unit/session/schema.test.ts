import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/errors.ts';
import {
  httpBodies,
  invokePayloads,
  LIMITS,
  parseInput,
  parseOptionalBody,
  sweepInputSchema,
  userIdSchema,
} from '../../../lib/session/schema.ts';

/** The ValidationError that parsing `input` throws; fails the test if it parses. */
function rejection(
  schema: Parameters<typeof parseInput>[0],
  input: unknown,
  prefix?: string,
): ValidationError {
  try {
    parseInput(schema, input, prefix);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

/** The detail paths of a rejected patch. */
const pathsOf = (input: unknown) => rejection(httpBodies.update, input).details.map((detail) => detail.path);

describe('userIdSchema', () => {
  it.each([
    'a',
    'wa:+447700900123',
    'web:6f1c2a4e-0000-4000-8000-000000000000',
    'user@example.com',
    'A.b_c-d',
    '.a',
    'x'.repeat(LIMITS.userIdLength),
  ])('accepts %j', (userId) => {
    expect(parseInput(userIdSchema, userId)).toBe(userId);
  });

  it.each([
    ['the empty string', ''],
    ['one character too many', 'x'.repeat(LIMITS.userIdLength + 1)],
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['a percent sign', 'a%20'],
    ['non-ASCII', 'josé'],
    ['a dot', '.'],
    ['two dots', '..'],
    ['a number', 42],
    ['null', null],
  ])('refuses %s', (_name, userId) => {
    expect(rejection(userIdSchema, userId, 'userId').details[0]?.path).toBe('userId');
  });
});

describe('the update patch', () => {
  it.each([
    [{ step: 'pick_time' }],
    [{ step: null }],
    [{ booking: { service: 'Haircut', date: '2028-02-29', time: '23:59', partySize: 50 } }],
    [{ booking: { name: null, phone: '+447700900123', email: 'ada@example.com', notes: '' } }],
    [{ context: { lang: 'en', nested: { list: [1, 'two', true, null] }, n: 0.5 } }],
    [{ context: {} }],
  ])('accepts %j', (patch) => {
    expect(parseInput(httpBodies.update, patch)).toEqual(patch);
  });

  it.each([
    ['step', { step: 'Pick Time' }],
    ['step', { step: '' }],
    ['step', { step: 'x'.repeat(LIMITS.stepLength + 1) }],
    ['step', { step: 3 }],
    ['booking.date', { booking: { date: '2026-02-30' } }],
    ['booking.date', { booking: { date: '2027-02-29' } }],
    ['booking.date', { booking: { date: '26-12-03' } }],
    ['booking.time', { booking: { time: '24:00' } }],
    ['booking.time', { booking: { time: '9:30' } }],
    ['booking.partySize', { booking: { partySize: 0 } }],
    ['booking.partySize', { booking: { partySize: LIMITS.partySizeMax + 1 } }],
    ['booking.partySize', { booking: { partySize: 2.5 } }],
    ['booking.partySize', { booking: { partySize: '2' } }],
    ['booking.phone', { booking: { phone: '07700900123' } }],
    ['booking.phone', { booking: { phone: '+0123' } }],
    ['booking.email', { booking: { email: 'not-an-email' } }],
    ['booking.email', { booking: { email: `${'a'.repeat(250)}@example.com` } }],
    ['booking.name', { booking: { name: 'x'.repeat(LIMITS.shortText + 1) } }],
    ['booking.service', { booking: { service: 'x'.repeat(LIMITS.shortText + 1) } }],
    ['booking.notes', { booking: { notes: 'x'.repeat(LIMITS.notes + 1) } }],
    ['booking.colour', { booking: { colour: 'red' } }],
    ['booking', { booking: 'Haircut' }],
    ['context', { context: [] }],
    ['context', { context: 'x' }],
    ['context.__proto__', { context: JSON.parse('{"__proto__": 1}') }],
    ['context.a.constructor', { context: { a: { constructor: 1 } } }],
    ['context.a.prototype', { context: { a: { prototype: 1 } } }],
    ['context', { context: { '': 1 } }],
    ['context.n', { context: { n: 2 ** 53 } }],
    ['context.n', { context: { n: 1e-131 } }],
    ['context.a.b.c.d.e', { context: { a: { b: { c: { d: { e: { f: 1 } } } } } } }],
    ['context.a[0][0][0][0]', { context: { a: [[[[[1]]]]] } }],
    ['context', { context: { big: 'x'.repeat(LIMITS.contextBytes) } }],
    [
      'context',
      {
        context: Object.fromEntries(
          Array.from({ length: LIMITS.contextKeysPerWrite + 1 }, (_, i) => [`k${i}`, i]),
        ),
      },
    ],
  ])('refuses a bad %s', (path, patch) => {
    expect(pathsOf(patch)).toContain(path);
  });

  it.each([
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint', 1n],
  ])('refuses %s inside context, which only a direct caller could pass', (_name, value) => {
    expect(pathsOf({ context: { key: value } })).toContain('context.key');
  });

  it('accepts a context object without a prototype', () => {
    const context = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(parseInput(httpBodies.update, { context })).toEqual({ context: { a: 1 } });
  });

  it('accepts exactly the context limits', () => {
    const keys = Object.fromEntries(
      Array.from({ length: LIMITS.contextKeysPerWrite }, (_, i) => [`k${i}`, i]),
    );
    expect(parseInput(httpBodies.update, { context: keys })).toEqual({ context: keys });
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    expect(parseInput(httpBodies.update, { context: deep })).toEqual({ context: deep });
  });

  it.each([
    ['an empty patch', {}, ''],
    ['a patch of undefined fields only', { step: undefined }, ''],
    ['null', null, ''],
    ['an array', [], ''],
    ['an unknown field', { colour: 'red' }, 'colour'],
  ])('refuses %s', (_name, patch, path) => {
    expect(pathsOf(patch)).toContain(path);
  });

  it.each(['userId', 'sessionId', 'version', 'createdAt', 'updatedAt', 'expiresAt', 'source'])(
    'says that callers may not set %s',
    (field) => {
      const error = rejection(httpBodies.update, { step: 'a', [field]: 'x' });
      expect(error.details).toEqual([{ path: field, message: 'may not be set by callers' }]);
    },
  );

  it('names the first problem in the message and lists them all in the details', () => {
    const error = rejection(httpBodies.update, { step: 'A', booking: { date: '2026-02-30', time: '25:00' } });
    expect(error.message).toMatch(/^step /);
    expect(error.details.map((detail) => detail.path).sort()).toEqual([
      'booking.date',
      'booking.time',
      'step',
    ]);
  });
});

describe('direct-invocation payloads', () => {
  it.each([
    ['createOrGet', { userId: 'u1' }],
    ['createOrGet', { userId: 'u1', source: 'Website' }],
    ['getSession', { userId: 'u1' }],
    ['createOrGet', { userId: 'u1', idempotencyKey: 'msg-1' }],
    ['update', { userId: 'u1', step: 'a', expectedVersion: 3 }],
    ['update', { userId: 'u1', step: 'a', expectedVersion: 2 ** 53 + 2, expectedSessionId: 's1' }],
    ['clear', { userId: 'u1', expectedSessionId: 's1', idempotencyKey: 'msg 2' }],
    ['clear', { userId: 'u1' }],
    ['delete', { userId: 'u1', expectedVersion: Number.MAX_SAFE_INTEGER }],
  ] as [keyof typeof invokePayloads, unknown][])('%s accepts %j', (name, payload) => {
    expect(parseInput<unknown>(invokePayloads[name], payload)).toEqual(payload);
  });

  it.each([
    ['createOrGet', { userId: 'u1', source: 'Email' }, 'source', undefined],
    ['getSession', {}, 'userId', 'is required'],
    ['getSession', { userId: 7 }, 'userId', undefined],
    ['getSession', { userId: 'u1', idempotencyKey: 'k' }, 'idempotencyKey', 'is not a known field'],
    ['createOrGet', { userId: 'u1', idempotencyKey: '' }, 'idempotencyKey', undefined],
    ['update', { userId: 'u1', step: 'a', idempotencyKey: 'caf\u00e9' }, 'idempotencyKey', undefined],
    ['delete', { userId: 'u1', idempotencyKey: 'k'.repeat(256) }, 'idempotencyKey', undefined],
    ['delete', { userId: 'u1', expectedSessionId: 7 }, 'expectedSessionId', undefined],
    ['update', { userId: 'u1' }, '', undefined],
    ['update', { userId: 'u1', step: 'a', expectedVersion: 0 }, 'expectedVersion', undefined],
    ['clear', { userId: 'u1', expectedVersion: 1.5 }, 'expectedVersion', 'must be a whole number'],
    ['delete', { userId: 'u1', expectedVersion: '2' }, 'expectedVersion', 'must be a number'],
    ['delete', { userId: 'u1', force: true }, 'force', 'is not a known field'],
  ] as [keyof typeof invokePayloads, unknown, string, string | undefined][])(
    '%s refuses %j at %j',
    (name, payload, path, message) => {
      const detail = rejection(invokePayloads[name], payload).details.find(
        (candidate) => candidate.path === path,
      );
      expect(detail).toBeDefined();
      if (message) expect(detail?.message).toBe(message);
    },
  );

  it('tells a missing field from one of the wrong type', () => {
    expect(rejection(invokePayloads.getSession, {}).details).toEqual([
      { path: 'userId', message: 'is required' },
    ]);
    expect(rejection(invokePayloads.getSession, { userId: null }).details[0]?.message).not.toBe(
      'is required',
    );
  });
});

describe('httpBodies', () => {
  it.each([
    ['createOrGet', {}],
    ['createOrGet', { source: 'Chatbot' }],
    ['empty', {}],
  ] as [keyof typeof httpBodies, unknown][])('%s accepts %j', (name, body) => {
    expect(parseInput<unknown>(httpBodies[name], body)).toEqual(body);
  });

  it.each([
    ['createOrGet', { source: 'chatbot' }],
    ['createOrGet', { userId: 'u1' }],
    ['empty', { step: 'a' }],
    ['empty', 'text'],
  ] as [keyof typeof httpBodies, unknown][])('%s refuses %j', (name, body) => {
    expect(rejection(httpBodies[name], body).code).toBe('VALIDATION_FAILED');
  });
});

describe('parseOptionalBody', () => {
  it('counts no body as {}', () => {
    expect(parseOptionalBody(httpBodies.empty, undefined)).toEqual({});
  });

  it('refuses a body of JSON null like any other non-object', () => {
    expect(() => parseOptionalBody(httpBodies.empty, null)).toThrow(ValidationError);
  });
});

describe('sweepInputSchema', () => {
  it.each([
    [{}],
    [{ inactiveDays: 45 }],
    [{ dryRun: true }],
    [{ inactiveDays: LIMITS.inactiveDaysMax, dryRun: false }],
  ])('accepts %j', (input) => {
    expect(parseInput(sweepInputSchema, input)).toEqual(input);
  });

  it.each([
    [{ inactiveDays: 0 }, 'inactiveDays'],
    [{ inactiveDays: LIMITS.inactiveDaysMax + 1 }, 'inactiveDays'],
    [{ inactiveDays: '30' }, 'inactiveDays'],
    [{ dryRun: 'yes' }, 'dryRun'],
    [{ shard: 1 }, 'shard'],
    [[], ''],
  ])('refuses %j at %j', (input, path) => {
    expect(rejection(sweepInputSchema, input).details.map((detail) => detail.path)).toContain(path);
  });
});
