import { beforeAll, describe, expect, it } from 'vitest';
import { type Context, LIMITS, type SessionPatch } from '../../../lib/session/schema.ts';
import { repositoryFor, storedItem, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';

const doc = testDocumentClient();
const sessions = repositoryFor(doc);

function deep(levels: number): Context {
  let value: Context = { leaf: true };
  for (let level = 1; level < levels; level++) value = { next: value };
  return value;
}

/** Each row breaks one rule; the path is the field the error must name. */
const BAD_PATCHES: [string, unknown, string][] = [
  ['step with capitals', { step: 'Pick_Time' }, 'step'],
  ['step with a space', { step: 'pick time' }, 'step'],
  ['empty step', { step: '' }, 'step'],
  ['step of 65 characters', { step: 'a'.repeat(65) }, 'step'],
  ['step that is a number', { step: 3 }, 'step'],
  ['booking.service over 100 characters', { booking: { service: 'x'.repeat(101) } }, 'booking.service'],
  ['booking.name over 100 characters', { booking: { name: 'x'.repeat(101) } }, 'booking.name'],
  ['booking.date that does not exist', { booking: { date: '2026-02-30' } }, 'booking.date'],
  ['booking.date in another format', { booking: { date: '03/12/2026' } }, 'booking.date'],
  ['booking.date with month 13', { booking: { date: '2026-13-01' } }, 'booking.date'],
  ['booking.time 24:00', { booking: { time: '24:00' } }, 'booking.time'],
  ['booking.time with seconds', { booking: { time: '14:30:00' } }, 'booking.time'],
  ['booking.time 9:30', { booking: { time: '9:30' } }, 'booking.time'],
  ['booking.partySize 0', { booking: { partySize: 0 } }, 'booking.partySize'],
  ['booking.partySize 51', { booking: { partySize: 51 } }, 'booking.partySize'],
  ['booking.partySize 2.5', { booking: { partySize: 2.5 } }, 'booking.partySize'],
  ['booking.partySize as a string', { booking: { partySize: '2' } }, 'booking.partySize'],
  ['booking.phone with letters', { booking: { phone: '+44770090ABCD' } }, 'booking.phone'],
  ['booking.phone without +', { booking: { phone: '447700900123' } }, 'booking.phone'],
  ['booking.phone over 15 digits', { booking: { phone: '+1234567890123456' } }, 'booking.phone'],
  ['booking.email without a domain', { booking: { email: 'ada@' } }, 'booking.email'],
  [
    'booking.email over 254 characters',
    { booking: { email: `${'a'.repeat(60)}@${'b'.repeat(190)}.com` } },
    'booking.email',
  ],
  ['booking.notes over 1,000 characters', { booking: { notes: 'x'.repeat(1001) } }, 'booking.notes'],
  ['an unknown booking field', { booking: { colour: 'red' } }, 'booking.colour'],
  ['booking that is not an object', { booking: 'Haircut' }, 'booking'],
  ['context that is an array', { context: [1, 2] }, 'context'],
  ['context over 8 KB', { context: { blob: 'x'.repeat(8 * 1024) } }, 'context'],
  ['context deeper than 5 levels', { context: deep(6) }, 'context.next.next.next.next.next'],
  [
    'context with a __proto__ key',
    { context: JSON.parse('{"__proto__": {"admin": true}}') },
    'context.__proto__',
  ],
  ['context with a nested constructor key', { context: { a: { constructor: 1 } } }, 'context.a.constructor'],
  [
    'context with a prototype key in an array',
    { context: { a: [{ prototype: 1 }] } },
    'context.a[0].prototype',
  ],
  ['context with an integer beyond 2^53', { context: { big: 2 ** 60 } }, 'context.big'],
  ['context with a number beyond 1e126', { context: { huge: 1.5e200 } }, 'context.huge'],
  ['context with a number below 1e-130', { context: { tiny: 1e-200 } }, 'context.tiny'],
  ['context with an empty key', { context: { '': 1 } }, 'context'],
  ['an unknown top-level field', { colour: 'red' }, 'colour'],
  ['a sessionId', { sessionId: 'x' }, 'sessionId'],
  ['a version', { version: 9 }, 'version'],
  ['a source', { source: 'Website' }, 'source'],
  ['a userId', { userId: 'someone-else' }, 'userId'],
  ['an updatedAt', { updatedAt: '2030-01-01T00:00:00.000Z' }, 'updatedAt'],
  ['an empty patch', {}, ''],
];

const BAD_USER_IDS: [string, unknown][] = [
  ['empty', ''],
  ['129 characters', 'a'.repeat(129)],
  ['with a slash', 'a/b'],
  ['with a space', 'a b'],
  ['with NUL', 'a\u0000b'],
  ['with a newline', 'a\nb'],
  ['with a Cyrillic look-alike', 'wа:+447700900123'],
  ['with a full-width colon', 'wa：447700900123'],
  ['two dots', '..'],
  ['a number', 42],
];

describe('SessionRepository input validation', () => {
  const userId = uniqueUserId();
  beforeAll(async () => {
    await sessions.createOrGet(userId);
    await sessions.update(userId, {
      step: 'start',
      booking: { service: 'Haircut' },
      context: { a: 1 },
    });
  });

  it.each(BAD_PATCHES)(
    'update rejects %s with VALIDATION_FAILED naming the field',
    async (_name, patch, path) => {
      const before = await storedItem(doc, userId);

      const failure = sessions.update(userId, patch as SessionPatch);

      await expect(failure).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await failure.catch((error) =>
        expect(error.details.map((detail: { path: string }) => detail.path)).toContain(path),
      );
      expect(await storedItem(doc, userId)).toEqual(before);
    },
  );

  it.each(BAD_USER_IDS)('every operation rejects a userId %s and stores nothing', async (_name, badId) => {
    const id = badId as string;
    const operations = [
      () => sessions.createOrGet(id),
      () => sessions.get(id),
      () => sessions.update(id, { step: 'a' }),
      () => sessions.clear(id),
      () => sessions.delete(id),
    ];
    for (const operation of operations) {
      await expect(operation()).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
    if (typeof badId === 'string' && badId !== '') expect(await storedItem(doc, badId)).toBeUndefined();
  });

  it('createOrGet rejects an unknown source', async () => {
    const id = uniqueUserId();
    await expect(sessions.createOrGet(id, 'Email' as 'Website')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await storedItem(doc, id)).toBeUndefined();
  });

  it('accepts the limits themselves', async () => {
    const session = await sessions.update(userId, {
      step: 'a'.repeat(64),
      booking: {
        service: 'x'.repeat(100),
        name: 'x'.repeat(100),
        date: '2028-02-29',
        time: '23:59',
        partySize: 50,
        phone: '+123456789012345',
        email: 'ada@example.com',
        notes: 'x'.repeat(1000),
      },
      context: {
        nested: deep(4),
        // One key at the per-key bound: its name (4 bytes) and value as DynamoDB counts them.
        blob: 'x'.repeat(LIMITS.contextKeyBytes - 4),
        ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'y'.repeat(100)])),
      },
    });
    expect(session.booking.partySize).toBe(50);
    expect(await sessions.createOrGet('a'.repeat(128))).toMatchObject({
      session: { userId: 'a'.repeat(128) },
    });
  });
});
