/**
 * Erase and export (SessionRepository.erase, exportUser) against the embedded DynamoDB. Erase removes the
 * item, tombstone and registers included, and its index entry, and brings nothing back: not the SDK's
 * retry of a lost answer, not a replayed key, not a retried delete, not a concurrent update. Export
 * shows everything the item holds, write ids counted and never shown.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SessionRepository } from '../../../lib/store/session-repository.ts';
import {
  indexEntriesOf,
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
  uniqueUserId,
} from '../../support/dynamo.ts';
import { connectionReset, interceptWire } from '../../support/wire.ts';

const doc = testDocumentClient();
const sessions = repositoryFor(doc);
afterAll(() => doc.destroy());

/** A user id that is a phone number, as the chatbot's are. */
const phoneUser = () =>
  `wa:+4477009${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}:${uniqueUserId()}`;

/** Nothing of the user is stored: no item, no index entry in its shard, and no session for GET. */
async function expectErased(userId: string, activityShard: number, repository: SessionRepository = sessions) {
  expect(await storedItem(doc, userId)).toBeUndefined();
  expect(await indexEntriesOf(doc, userId, activityShard)).toEqual([]);
  expect(await repository.get(userId)).toBeUndefined();
}

async function createWithData(userId: string): Promise<number> {
  await sessions.createOrGet(userId, 'Chatbot');
  await sessions.update(userId, {
    step: 'confirm',
    booking: { name: 'Ada Lovelace', phone: '+447700900123' },
  });
  const item = await storedItem(doc, userId);
  expect(await indexEntriesOf(doc, userId, Number(item?.activityShard))).toHaveLength(1);
  return Number(item?.activityShard);
}

async function rejectionCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('SessionRepository', () => {
  describe('erase', () => {
    it('removes a live session, its registers and its index entry, and says it found one', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);

      expect(await sessions.erase(userId)).toEqual({ erased: true });

      await expectErased(userId, shard);
    });

    it('removes a tombstone, leaving nothing of the deleted session', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      await sessions.delete(userId, { idempotencyKey: 'delete-1' });
      expect((await storedItem(doc, userId))?.deletedAt).toEqual(expect.any(String));

      expect(await sessions.erase(userId)).toEqual({ erased: true });

      await expectErased(userId, shard);
    });

    it('removes an expired session the sweep has not reached yet', async () => {
      const time = manualClock();
      const timed = repositoryFor(doc, { clock: time.clock });
      const userId = phoneUser();
      await timed.createOrGet(userId);
      time.advanceDays(31);
      expect(await timed.get(userId)).toBeUndefined();
      const shard = Number((await storedItem(doc, userId))?.activityShard);

      expect(await timed.erase(userId)).toEqual({ erased: true });

      await expectErased(userId, shard, timed);
    });

    it('succeeds the same when nothing is stored, and says it found nothing', async () => {
      const userId = phoneUser();
      expect(await sessions.erase(userId, { idempotencyKey: 'erase-1', callId: 'call-1' })).toEqual({
        erased: false,
      });
      expect(await storedItem(doc, userId)).toBeUndefined();
    });

    it('refuses an invalid user id, key or callId before sending anything', async () => {
      const wire = interceptWire(doc);
      try {
        expect(await rejectionCode(sessions.erase(''))).toBe('VALIDATION_FAILED');
        expect(await rejectionCode(sessions.erase('u', { idempotencyKey: '' }))).toBe('VALIDATION_FAILED');
        expect(await rejectionCode(sessions.erase('u', { callId: 'x'.repeat(256) }))).toBe(
          'VALIDATION_FAILED',
        );
        expect(wire.attempts).toEqual([]);
      } finally {
        wire.restore();
      }
    });

    it.each([
      [
        'update',
        (userId: string, key?: string) => sessions.update(userId, { step: 'x' }, { idempotencyKey: key }),
      ],
      ['clear', (userId: string, key?: string) => sessions.clear(userId, { idempotencyKey: key })],
      [
        'update with a callId',
        (userId: string) => sessions.update(userId, { step: 'x' }, { callId: 'call-9' }),
      ],
    ])('leaves a later %s nothing to write: NOT_FOUND, nothing stored', async (_name, write) => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      await sessions.erase(userId);

      expect(await rejectionCode(write(userId))).toBe('NOT_FOUND');
      expect(await rejectionCode(write(userId, 'key-after-erase'))).toBe('NOT_FOUND');

      await expectErased(userId, shard);
    });

    it('answers a later delete "nothing deleted", and stores nothing', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      await sessions.erase(userId);

      expect(await sessions.delete(userId)).toBe(false);
      expect(await sessions.delete(userId, { idempotencyKey: 'delete-after' })).toBe(false);

      await expectErased(userId, shard);
    });

    it('lets create-or-get start a new session, empty, of a new lifetime', async () => {
      const userId = phoneUser();
      await createWithData(userId);
      const before = await sessions.get(userId);
      await sessions.erase(userId);

      const { session, created } = await sessions.createOrGet(userId);

      expect(created).toBe(true);
      expect(session).toMatchObject({ version: 1, step: null, booking: {}, context: {} });
      expect(session.sessionId).not.toBe(before?.sessionId);
    });
  });

  describe('erase under faults', () => {
    it('answers success when its answer is lost and the SDK retries, and nothing comes back', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      const ours = testDocumentClient();
      const wire = interceptWire(ours, async (attempt) => {
        if (attempt.operation === 'DeleteItem' && attempt.count === 1) {
          await attempt.forward();
          throw connectionReset();
        }
        return attempt.forward();
      });
      try {
        // The retry finds nothing: erased, all the same.
        expect(await repositoryFor(ours).erase(userId)).toEqual({ erased: false });
        expect(wire.count('DeleteItem')).toBe(2);
      } finally {
        wire.restore();
        ours.destroy();
      }
      await expectErased(userId, shard);
    });

    it('applies no replayed key after erase: update, clear and delete answer NOT_FOUND or "nothing deleted"', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      await sessions.update(userId, { step: 'keyed' }, { idempotencyKey: 'update-key' });
      await sessions.clear(userId, { idempotencyKey: 'clear-key' });
      await sessions.erase(userId, { idempotencyKey: 'erase-key' });

      expect(
        await rejectionCode(sessions.update(userId, { step: 'keyed' }, { idempotencyKey: 'update-key' })),
      ).toBe('NOT_FOUND');
      expect(await rejectionCode(sessions.clear(userId, { idempotencyKey: 'clear-key' }))).toBe('NOT_FOUND');
      expect(await sessions.erase(userId, { idempotencyKey: 'erase-key' })).toEqual({ erased: false });

      await expectErased(userId, shard);
    });

    it('applies no retried delete after erase', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      expect(await sessions.delete(userId, { idempotencyKey: 'delete-key' })).toBe(true);
      await sessions.erase(userId);

      // The key's register went with the item: the repeat finds nothing to delete, and keeps nothing.
      expect(await sessions.delete(userId, { idempotencyKey: 'delete-key' })).toBe(false);

      await expectErased(userId, shard);
    });

    it('applies no SDK retry of an update whose answer was lost, when erase came in between', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      const ours = testDocumentClient();
      const wire = interceptWire(ours, async (attempt) => {
        if (attempt.operation === 'UpdateItem' && attempt.count === 1) {
          await attempt.forward();
          await sessions.erase(userId);
          throw connectionReset();
        }
        return attempt.forward();
      });
      try {
        const code = await rejectionCode(repositoryFor(ours).update(userId, { step: 'confirm' }));
        expect(code).toBe('NOT_FOUND');
        expect(wire.count('UpdateItem')).toBe(2);
      } finally {
        wire.restore();
        ours.destroy();
      }
      await expectErased(userId, shard);
    });

    it('erases a session raced by 20 concurrent updates: each update lands before and goes with it, or finds nothing', async () => {
      const userId = phoneUser();
      const shard = await createWithData(userId);
      const update = (turn: number) =>
        sessions.update(userId, { context: { [`turn${turn}`]: turn } }, { idempotencyKey: `turn-${turn}` });

      const first = Array.from({ length: 10 }, (_, turn) => update(turn));
      const erase = sessions.erase(userId);
      const second = Array.from({ length: 10 }, (_, turn) => update(10 + turn));
      const outcomes = await Promise.allSettled([...first, ...second]);
      expect(await erase).toEqual({ erased: true });

      for (const outcome of outcomes) {
        if (outcome.status === 'rejected')
          expect((outcome.reason as { code: string }).code).toBe('NOT_FOUND');
      }
      await expectErased(userId, shard);
      // A replay of any of them after the erase applies nothing either.
      const replays = await Promise.all(Array.from({ length: 20 }, (_, turn) => rejectionCode(update(turn))));
      expect(replays).toEqual(Array.from({ length: 20 }, () => 'NOT_FOUND'));
      await expectErased(userId, shard);
    });
  });

  describe('exportUser', () => {
    it('shows the stored session, its timestamps and how many write ids it remembers, without the ids', async () => {
      const userId = phoneUser();
      await sessions.createOrGet(userId, 'Chatbot');
      await sessions.update(userId, { booking: { name: 'Ada Lovelace' } }, { idempotencyKey: 'key-1' });
      await sessions.update(userId, { context: { intent: 'book' } });
      const item = (await storedItem(doc, userId)) as Record<string, unknown>;

      const exported = await sessions.exportUser(userId);

      expect(exported).toEqual({
        userId,
        session: {
          userId,
          sessionId: item.sessionId,
          source: 'Chatbot',
          version: 3,
          createdAt: item.createdAt,
          updatedAt: item.updatedAt,
          expiresAt: new Date(Date.parse(String(item.updatedAt)) + 30 * 86_400_000).toISOString(),
          step: null,
          booking: { name: 'Ada Lovelace' },
          context: { intent: 'book' },
          live: true,
          purgeAt: new Date(Number(item.purgeAt) * 1000).toISOString(),
        },
        tombstone: null,
        // The create-or-get records nothing; the keyed update and the unkeyed one one each.
        rememberedWriteIds: { keyed: 1, unkeyed: 1 },
      });
      const text = JSON.stringify(exported);
      for (const [name, value] of Object.entries(item)) {
        if (/^[kr]([0-9a-z]|Before)$/.test(name) && typeof value === 'string')
          expect(text).not.toContain(value);
      }
      expect(JSON.parse(text)).toEqual(exported);
    });

    it('shows a tombstone and when it goes, with no session', async () => {
      const userId = phoneUser();
      await sessions.createOrGet(userId);
      await sessions.delete(userId, { idempotencyKey: 'delete-1' });
      const item = (await storedItem(doc, userId)) as Record<string, unknown>;

      expect(await sessions.exportUser(userId)).toEqual({
        userId,
        session: null,
        tombstone: {
          deletedAt: item.deletedAt,
          purgeAt: new Date(Number(item.purgeAt) * 1000).toISOString(),
        },
        rememberedWriteIds: { keyed: 1, unkeyed: 0 },
      });
    });

    it('shows an expired session as not live: it is still held until the sweep or the TTL removes it', async () => {
      const time = manualClock();
      const timed = repositoryFor(doc, { clock: time.clock });
      const userId = phoneUser();
      await timed.createOrGet(userId);
      time.advanceDays(31);

      expect((await timed.exportUser(userId)).session).toMatchObject({ userId, live: false });
    });

    it('shows nothing held after erase', async () => {
      const userId = phoneUser();
      await createWithData(userId);
      await sessions.erase(userId);

      expect(await sessions.exportUser(userId)).toEqual({
        userId,
        session: null,
        tombstone: null,
        rememberedWriteIds: { keyed: 0, unkeyed: 0 },
      });
    });
  });
});
