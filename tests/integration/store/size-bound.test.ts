/**
 * The stored item stays within LIMITS.itemBytes (32 KB as DynamoDB counts item size) over any number of
 * writes. The rules that bound it: every field's own limit, at most LIMITS.contextKeysStored top-level
 * context keys (checked inside the write's condition), each at most LIMITS.contextKeyBytes, and two write
 * registers of fixed-size entries (KEY_SLOTS keyed writes, RETRY_SLOTS unkeyed ones).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attributeSize, itemSize, valueSize } from '../../../lib/session/item-size.ts';
import { LIMITS } from '../../../lib/session/schema.ts';
import { activityTimes } from '../../../lib/store/clock.ts';
import {
  KEY_REGISTER,
  LIFETIME_BOUNDARIES,
  RETRY_REGISTER,
  writeEntry,
  writeIdentity,
} from '../../../lib/store/write-register.ts';
import { repositoryFor, storedItem, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';
import { newSessionItem } from '../../support/items.ts';

/** A string of `characters` UTF-16 units that costs the most UTF-8 bytes: 3 per unit. */
const widest = (characters: number) => '€'.repeat(characters);

/** One context key at the per-key bound: a 4-byte name and a value filling the rest. */
function fullKey(index: number): [string, string] {
  const name = `k${String(index).padStart(3, '0')}`;
  return [name, 'x'.repeat(LIMITS.contextKeyBytes - Buffer.byteLength(name))];
}

describe('item size estimate', () => {
  it('counts as DynamoDB does: names and UTF-8 values, numbers by digits, maps and lists with overhead', () => {
    expect(attributeSize('step', 'abc')).toBe(7);
    expect(valueSize('€')).toBe(3);
    expect(valueSize(true)).toBe(1);
    expect(valueSize(null)).toBe(1);
    expect(valueSize(1)).toBe(2);
    expect(valueSize(123456)).toBe(4);
    expect(valueSize(Number.MAX_SAFE_INTEGER)).toBe(9);
    expect(valueSize({})).toBe(3);
    expect(valueSize({ a: 1 })).toBe(3 + 1 + 1 + 2);
    expect(valueSize(['ab'])).toBe(3 + 1 + 2);
  });

  it('the largest session the rules allow is at most 32 KB, with a margin', () => {
    const userId = 'u'.repeat(LIMITS.userIdLength);
    const times = activityTimes(new Date('2026-11-26T10:00:00.000Z'), LIMITS.inactiveDaysMax, { userId });
    const base = newSessionItem(userId, randomUUID(), 'Chatbot', times);
    // Both registers full and both lifetime boundaries set (every entry has the same length).
    const keyed = writeIdentity('createOrGet', {}, 'k'.repeat(LIMITS.idempotencyKeyLength));
    const unkeyed = writeIdentity('update', {}, undefined);
    const registers = {
      ...Object.fromEntries(KEY_REGISTER.map((name) => [name, writeEntry(keyed)])),
      ...Object.fromEntries(RETRY_REGISTER.map((name) => [name, writeEntry(unkeyed)])),
      [LIFETIME_BOUNDARIES.key]: writeEntry(keyed),
      [LIFETIME_BOUNDARIES.retry]: writeEntry(unkeyed),
    };
    const largest = {
      ...base,
      version: Number.MAX_SAFE_INTEGER,
      step: 'a'.repeat(LIMITS.stepLength),
      booking: {
        service: widest(LIMITS.shortText),
        name: widest(LIMITS.shortText),
        date: '2026-12-03',
        time: '23:59',
        partySize: LIMITS.partySizeMax,
        phone: '+123456789012345',
        email: widest(LIMITS.email),
        notes: widest(LIMITS.notes),
      },
      context: Object.fromEntries(Array.from({ length: LIMITS.contextKeysStored }, (_, i) => fullKey(i))),
      ...registers,
      // An attribute only a tombstone carries, counted here as if a live session had it too.
      deletedAt: times.updatedAt,
    };

    const size = itemSize(largest);

    expect(size).toBeLessThanOrEqual(LIMITS.itemBytes);
    // The figures docs/DESIGN.md, docs/API.md, docs/SECURITY.md and docs/BENCHMARKS.md quote.
    expect(size).toBe(25_985);
    expect(itemSize(registers)).toBe(537);
    expect(Math.ceil(size / 1024)).toBe(26);
  });
});

describe('size bound on a stored session (1,000 writes of new context keys)', () => {
  const doc = testDocumentClient();
  const sessions = repositoryFor(doc);

  it('holds after every write; each refusal is SESSION_TOO_LARGE; removing keys makes room again', async () => {
    const userId = uniqueUserId('size');
    await sessions.createOrGet(userId);
    await sessions.update(userId, {
      step: 'a'.repeat(LIMITS.stepLength),
      booking: {
        notes: widest(LIMITS.notes),
        name: widest(LIMITS.shortText),
        service: widest(LIMITS.shortText),
      },
    });
    let accepted = 0;
    let refused = 0;
    let largest = 0;
    for (let i = 0; i < 1000; i++) {
      const [name, value] = fullKey(i);
      // Two writes in three carry an idempotency key, the third none, so both registers fill up.
      const options = i % 3 === 0 ? {} : { idempotencyKey: `${'k'.repeat(200)}-${i}` };
      const outcome = await sessions.update(userId, { context: { [name]: value } }, options).then(
        () => 'accepted',
        (error: { code?: string }) => error.code ?? String(error),
      );
      if (outcome === 'accepted') accepted++;
      else {
        expect(outcome).toBe('SESSION_TOO_LARGE');
        refused++;
      }
      const item = await storedItem(doc, userId);
      largest = Math.max(largest, itemSize(item ?? {}));
      expect(largest).toBeLessThanOrEqual(LIMITS.itemBytes);
    }

    expect(accepted).toBe(LIMITS.contextKeysStored);
    expect(refused).toBe(1000 - LIMITS.contextKeysStored);
    // The bound held with both registers full.
    const full = await storedItem(doc, userId);
    for (const slot of [...KEY_REGISTER, ...RETRY_REGISTER]) expect(typeof full?.[slot]).toBe('string');
    // Overwriting a key that exists still works at the bound.
    const [name0] = fullKey(0);
    await expect(sessions.update(userId, { context: { [name0]: 'small' } })).resolves.toMatchObject({
      context: { [name0]: 'small' },
    });
    // Removing keys makes room, and the session stays readable and writable.
    const removal = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [fullKey(i)[0], null]));
    await sessions.update(userId, { context: removal });
    await expect(sessions.update(userId, { context: { fresh: 1 } })).resolves.toMatchObject({
      context: { fresh: 1 },
    });
    expect(Object.keys((await sessions.get(userId))?.context ?? {})).toHaveLength(
      LIMITS.contextKeysStored - 9,
    );
  }, 120_000);

  it('refuses a context key over the per-key bound with VALIDATION_FAILED before sending anything', async () => {
    const userId = uniqueUserId('size');
    await sessions.createOrGet(userId);
    await expect(
      sessions.update(userId, { context: { big: 'x'.repeat(LIMITS.contextKeyBytes) } }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
