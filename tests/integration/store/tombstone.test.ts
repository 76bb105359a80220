/**
 * A plain delete's tombstone: what it keeps, how long it lives (TOMBSTONE_LIFE_MS, docs/DESIGN.md), and
 * that past its life it counts as no item at all, whether or not DynamoDB's TTL has removed it yet.
 */
import { describe, expect, it } from 'vitest';
import { TOMBSTONE_LIFE_MS } from '../../../lib/store/session-requests.ts';
import {
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
  uniqueUserId,
} from '../../support/dynamo.ts';

const doc = testDocumentClient();

describe('a tombstone', () => {
  it('keeps no session data, and DynamoDB’s TTL may remove it 24 hours after the delete', async () => {
    const time = manualClock();
    const sessions = repositoryFor(doc, { clock: time.clock });
    const userId = uniqueUserId('tombstone');
    await sessions.createOrGet(userId, 'Chatbot');
    await sessions.update(userId, { step: 'pick', booking: { name: 'Ada' }, context: { a: 1 } });

    await sessions.delete(userId);

    const item = await storedItem(doc, userId);
    expect(TOMBSTONE_LIFE_MS).toBe(24 * 60 * 60 * 1000);
    expect(item?.deletedAt).toBe(time.clock().toISOString());
    expect(item?.purgeAt).toBe((time.clock().getTime() + TOMBSTONE_LIFE_MS) / 1000);
    for (const data of ['step', 'booking', 'context']) expect(item).not.toHaveProperty(data);
  });

  it('answers a replayed delete as deleted within its life, and as nothing to delete after it', async () => {
    const time = manualClock();
    const sessions = repositoryFor(doc, { clock: time.clock });
    const userId = uniqueUserId('tombstone');
    await sessions.createOrGet(userId);
    await sessions.applyDelete(userId, { idempotencyKey: 'bye-1' });

    time.advanceMs(TOMBSTONE_LIFE_MS - 1000);
    expect(await sessions.applyDelete(userId, { idempotencyKey: 'bye-1' })).toEqual({
      deleted: true,
      replayed: true,
    });
    time.advanceMs(2000);
    expect(await sessions.applyDelete(userId, { idempotencyKey: 'bye-1' })).toEqual({
      deleted: false,
      replayed: false,
    });
  });

  it('past its life, is replaced by a create-or-get whatever its registers hold', async () => {
    const time = manualClock();
    const sessions = repositoryFor(doc, { clock: time.clock });
    const userId = uniqueUserId('tombstone');
    const first = await sessions.createOrGet(userId, 'Chatbot', { idempotencyKey: 'open-1' });
    await sessions.delete(userId);

    time.advanceMs(TOMBSTONE_LIFE_MS + 1000);
    const again = await sessions.createOrGet(userId, 'Chatbot', { idempotencyKey: 'open-2' });

    expect(again.created).toBe(true);
    expect(again.session.sessionId).not.toBe(first.session.sessionId);
    expect((await storedItem(doc, userId))?.deletedAt).toBeUndefined();
  });
});
