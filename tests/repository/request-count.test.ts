import { beforeEach, describe, expect, it } from 'vitest';
import { manualClock, repositoryFor, testDocumentClient, uniqueUserId } from '../support/dynamo.ts';
import { countRequests } from '../support/request-counter.ts';

const doc = testDocumentClient();
const requests = countRequests(doc);

describe('SessionRepository requests per operation', () => {
  const time = manualClock();
  const sessions = repositoryFor(doc, { clock: time.clock });
  let userId: string;

  beforeEach(async () => {
    userId = uniqueUserId();
    await sessions.createOrGet(userId);
    requests.reset();
  });

  it.each([
    ['createOrGet (new)', () => sessions.createOrGet(uniqueUserId()), ['UpdateItem']],
    ['createOrGet (existing)', () => sessions.createOrGet(userId), ['UpdateItem']],
    ['get', () => sessions.get(userId), ['GetItem']],
    ['update', () => sessions.update(userId, { step: 'a', booking: { name: 'Ada' } }), ['UpdateItem']],
    [
      'update with expectedVersion',
      () => sessions.update(userId, { step: 'a' }, { expectedVersion: 1 }),
      ['UpdateItem'],
    ],
    ['clear', () => sessions.clear(userId), ['UpdateItem']],
    ['delete', () => sessions.delete(userId), ['DeleteItem']],
    ['delete with expectedVersion', () => sessions.delete(userId, { expectedVersion: 1 }), ['DeleteItem']],
    ['delete of a missing session', () => sessions.delete(uniqueUserId()), ['DeleteItem']],
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

  it('replacing an expired session takes one update and one put', async () => {
    time.advanceDays(31);
    await sessions.createOrGet(userId);
    expect(requests.sent).toEqual(['UpdateItem', 'PutItem']);
    time.set(new Date('2026-11-26T10:00:00.000Z'));
  });

  it('a rejected input sends nothing', async () => {
    await expect(sessions.update(userId, { step: 'Not Valid' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(requests.sent).toEqual([]);
  });
});
