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

  it('a failed condition takes one more read to tell the cause', async () => {
    await expect(sessions.update(userId, { step: 'a' }, { expectedVersion: 9 })).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
    expect(requests.sent).toEqual(['UpdateItem', 'GetItem']);
  });

  it('a delete of a missing session fails its condition, then removes any expired data: two requests', async () => {
    expect(await sessions.delete(uniqueUserId())).toBe(false);
    expect(requests.sent).toEqual(['UpdateItem', 'DeleteItem']);
  });

  it('a retried write whose condition fails reads once to tell its own write from a conflict', async () => {
    await sessions.update(userId, { step: 'a' }, { idempotencyKey: 'k-6' });
    requests.reset();
    await sessions.update(userId, { step: 'a' }, { idempotencyKey: 'k-6' });
    expect(requests.sent).toEqual(['UpdateItem', 'GetItem']);
  });

  it('replacing an expired session takes two updates (the second replaces it, keeping its write register)', async () => {
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
