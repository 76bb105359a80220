import { beforeEach, describe, expect, it } from 'vitest';
import { manualClock, repositoryFor, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';
import { countRequests } from '../../support/request-counter.ts';

const doc = testDocumentClient();
const requests = countRequests(doc);

describe('SessionRepository requests per operation', () => {
  const time = manualClock();
  const sessions = repositoryFor(doc, { clock: time.clock });
  let userId: string;
  let sessionId: string;

  beforeEach(async () => {
    userId = uniqueUserId();
    sessionId = (await sessions.createOrGet(userId)).session.sessionId;
    requests.reset();
  });

  it.each([
    ['createOrGet (new)', () => sessions.createOrGet(uniqueUserId()), ['UpdateItem']],
    ['createOrGet (existing)', () => sessions.createOrGet(userId), ['UpdateItem']],
    ['get', () => sessions.get(userId), ['GetItem']],
    ['update', () => sessions.update(userId, { step: 'a', booking: { name: 'Ada' } }), ['UpdateItem']],
    [
      'update with an idempotency key and If-Match',
      () =>
        sessions.update(
          userId,
          { context: { a: 1 } },
          { expectedVersion: 1, expectedSessionId: sessionId, idempotencyKey: 'k-1' },
        ),
      ['UpdateItem'],
    ],
    [
      'clear with an idempotency key',
      () => sessions.clear(userId, { idempotencyKey: 'k-2' }),
      ['UpdateItem'],
    ],
    [
      'delete with an idempotency key',
      () => sessions.delete(userId, { idempotencyKey: 'k-3' }),
      ['UpdateItem'],
    ],
    [
      'createOrGet (new) with an idempotency key',
      () => sessions.createOrGet(uniqueUserId(), 'Chatbot', { idempotencyKey: 'k-4' }),
      ['UpdateItem'],
    ],
    [
      'createOrGet (existing) with an idempotency key',
      () => sessions.createOrGet(userId, 'Chatbot', { idempotencyKey: 'k-5' }),
      ['UpdateItem'],
    ],
    [
      'update with expectedVersion',
      () => sessions.update(userId, { step: 'a' }, { expectedVersion: 1 }),
      ['UpdateItem'],
    ],
    ['clear', () => sessions.clear(userId), ['UpdateItem']],
    // A delete leaves a tombstone (see lib/store/session-requests.ts): an UpdateItem.
    ['delete', () => sessions.delete(userId), ['UpdateItem']],
    ['delete with expectedVersion', () => sessions.delete(userId, { expectedVersion: 1 }), ['UpdateItem']],
    ['get of a missing session', () => sessions.get(uniqueUserId()), ['GetItem']],
  ])('%s sends exactly one request', async (_name, operation, expected) => {
    await operation();
    expect(requests.sent).toEqual(expected);
  });

  it.each([
    [
      '412: a stale If-Match',
      () => sessions.update(userId, { step: 'a' }, { expectedVersion: 9 }),
      'VERSION_CONFLICT',
    ],
    [
      '412: a stale If-Match on clear',
      () => sessions.clear(userId, { expectedSessionId: 'other' }),
      'VERSION_CONFLICT',
    ],
    [
      '412: a stale If-Match on delete',
      () => sessions.delete(userId, { expectedVersion: 9 }),
      'VERSION_CONFLICT',
    ],
    [
      '404: an update of a missing session',
      () => sessions.update(uniqueUserId(), { step: 'a' }),
      'NOT_FOUND',
    ],
    ['404: a clear of a missing session', () => sessions.clear(uniqueUserId()), 'NOT_FOUND'],
    [
      '404: an update of a deleted session',
      async () => {
        await sessions.delete(userId);
        requests.reset();
        return sessions.update(userId, { step: 'a' });
      },
      'NOT_FOUND',
    ],
    [
      '409: an update with no room for its context keys',
      async () => {
        const full = Object.fromEntries(Array.from({ length: 64 }, (_, index) => [`k${index}`, index]));
        await sessions.update(userId, { context: full });
        requests.reset();
        return sessions.update(userId, { context: { extra: 1 } });
      },
      'SESSION_TOO_LARGE',
    ],
    [
      '422: a key reused for another request',
      async () => {
        await sessions.update(userId, { step: 'a' }, { idempotencyKey: 'k-reused' });
        requests.reset();
        return sessions.update(userId, { step: 'b' }, { idempotencyKey: 'k-reused' });
      },
      'IDEMPOTENCY_KEY_REUSED',
    ],
    [
      '404: a key spent on an earlier lifetime',
      async () => {
        await sessions.update(userId, { step: 'a' }, { idempotencyKey: 'k-spent' });
        await sessions.delete(userId);
        await sessions.createOrGet(userId);
        requests.reset();
        return sessions.update(userId, { step: 'a' }, { idempotencyKey: 'k-spent' });
      },
      'NOT_FOUND',
    ],
  ])('%s costs one request', async (_name, operation, code) => {
    await expect(operation()).rejects.toMatchObject({ code });
    expect(requests.sent).toEqual(['UpdateItem']);
  });

  it.each([
    ['update', () => sessions.applyUpdate(userId, { step: 'a' }, { idempotencyKey: 'k-6' })],
    ['clear', () => sessions.applyClear(userId, { idempotencyKey: 'k-7' })],
    ['delete', () => sessions.applyDelete(userId, { idempotencyKey: 'k-8' })],
    ['createOrGet', () => sessions.createOrGet(userId, 'Chatbot', { idempotencyKey: 'k-9' })],
  ])('a replayed %s costs one request, answered as a replay', async (_name, operation) => {
    await operation();
    requests.reset();
    expect(await operation()).toMatchObject({ replayed: true });
    expect(requests.sent).toEqual(['UpdateItem']);
  });

  it('a delete that finds no live session answers false in one request', async () => {
    expect(await sessions.delete(uniqueUserId())).toBe(false);
    expect(requests.sent).toEqual(['UpdateItem']);
  });

  it('replacing an expired session takes two updates, the one named exception (docs/DESIGN.md)', async () => {
    time.advanceDays(31);
    await sessions.createOrGet(userId);
    expect(requests.sent).toEqual(['UpdateItem', 'UpdateItem']);
    time.set(new Date('2026-11-26T10:00:00.000Z'));
  });

  it('a rejected input sends nothing', async () => {
    await expect(sessions.update(userId, { step: 'Not Valid' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(requests.sent).toEqual([]);
  });
});
