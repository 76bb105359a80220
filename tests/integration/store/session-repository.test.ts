import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import { LIMITS } from '../../../lib/session/schema.ts';
import { activityShardOf } from '../../../lib/store/shard.ts';
import {
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
  uniqueUserId,
} from '../../support/dynamo.ts';

const doc = testDocumentClient();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('SessionRepository', () => {
  let time: ReturnType<typeof manualClock>;
  let sessions: ReturnType<typeof repositoryFor>;
  let userId: string;

  beforeEach(() => {
    time = manualClock();
    sessions = repositoryFor(doc, { clock: time.clock });
    userId = uniqueUserId();
  });

  describe('createOrGet', () => {
    it('creates a new session with empty data, version 1 and a generated sessionId', async () => {
      const { session, created } = await sessions.createOrGet(userId, 'Chatbot');

      expect(created).toBe(true);
      expect(session).toEqual({
        userId,
        sessionId: expect.stringMatching(UUID),
        source: 'Chatbot',
        version: 1,
        createdAt: '2026-11-26T10:00:00.000Z',
        updatedAt: '2026-11-26T10:00:00.000Z',
        expiresAt: '2026-12-26T10:00:00.000Z',
        step: null,
        booking: {},
        context: {},
      });
    });

    it('defaults the source to Website', async () => {
      const { session } = await sessions.createOrGet(userId);
      expect(session.source).toBe('Website');
    });

    it('returns the existing session, refreshing only its activity times', async () => {
      const first = await sessions.createOrGet(userId, 'Chatbot');
      await sessions.update(userId, {
        step: 'pick_time',
        booking: { service: 'Haircut' },
      });
      time.advanceDays(2);

      const { session, created } = await sessions.createOrGet(userId, 'Website');

      expect(created).toBe(false);
      expect(session).toMatchObject({
        sessionId: first.session.sessionId,
        source: 'Chatbot',
        version: 2,
        createdAt: first.session.createdAt,
        updatedAt: '2026-11-28T10:00:00.000Z',
        expiresAt: '2026-12-28T10:00:00.000Z',
        step: 'pick_time',
        booking: { service: 'Haircut' },
      });
    });

    it('stores the index shard and a TTL a day past expiry', async () => {
      await sessions.createOrGet(userId);

      const item = await storedItem(doc, userId);

      expect(item?.activityShard).toBe(activityShardOf(userId, DEFAULT_ACTIVITY_SHARDS));
      expect(item?.purgeAt).toBe(Date.parse('2026-12-27T10:00:00.000Z') / 1000);
    });

    it('replaces an expired session with a brand-new one', async () => {
      const old = await sessions.createOrGet(userId);
      await sessions.update(userId, { step: 'pick_time' });
      time.advanceDays(30);
      time.advanceMs(1);

      const { session, created } = await sessions.createOrGet(userId, 'Chatbot');

      expect(created).toBe(true);
      expect(session.sessionId).not.toBe(old.session.sessionId);
      expect(session).toMatchObject({
        version: 1,
        step: null,
        booking: {},
        context: {},
        source: 'Chatbot',
      });
      expect(await sessions.get(userId)).toEqual(session);
    });

    it('keeps a session that is exactly at the edge of the window', async () => {
      const old = await sessions.createOrGet(userId);
      time.advanceDays(30);

      const { session, created } = await sessions.createOrGet(userId);

      expect(created).toBe(false);
      expect(session.sessionId).toBe(old.session.sessionId);
    });
  });

  describe('get', () => {
    it('returns the session of the user', async () => {
      const { session } = await sessions.createOrGet(userId);
      expect(await sessions.get(userId)).toEqual(session);
    });

    it('returns undefined for a user without a session', async () => {
      expect(await sessions.get(userId)).toBeUndefined();
    });

    it('returns undefined once the session is inactive for longer than the window', async () => {
      await sessions.createOrGet(userId);
      time.advanceDays(31);
      expect(await sessions.get(userId)).toBeUndefined();
    });
  });

  describe('update', () => {
    it('updates several fields at once, adds 1 to the version and refreshes the activity', async () => {
      await sessions.createOrGet(userId);
      time.advanceMs(5_000);

      const session = await sessions.update(userId, {
        step: 'pick_time',
        booking: {
          service: 'Haircut',
          date: '2026-12-03',
          time: '14:30',
          partySize: 2,
        },
        context: { language: 'en', lastIntent: 'book' },
      });

      expect(session).toMatchObject({
        version: 2,
        updatedAt: '2026-11-26T10:00:05.000Z',
        expiresAt: '2026-12-26T10:00:05.000Z',
        step: 'pick_time',
        booking: {
          service: 'Haircut',
          date: '2026-12-03',
          time: '14:30',
          partySize: 2,
        },
        context: { language: 'en', lastIntent: 'book' },
      });
      expect(await sessions.get(userId)).toEqual(session);
    });

    it('merges booking fields and context keys, removing those given as null', async () => {
      await sessions.createOrGet(userId);
      await sessions.update(userId, {
        booking: { service: 'Haircut', name: 'Ada', notes: 'window seat' },
        context: { language: 'en', lastIntent: 'book', nested: { a: 1 } },
      });

      const session = await sessions.update(userId, {
        booking: { name: null, date: '2026-12-03' },
        context: { lastIntent: null, nested: { b: 2 } },
      });

      expect(session.booking).toEqual({
        service: 'Haircut',
        notes: 'window seat',
        date: '2026-12-03',
      });
      expect(session.context).toEqual({ language: 'en', nested: { b: 2 } });
    });

    it('sets the step, and clears it with null', async () => {
      await sessions.createOrGet(userId);
      expect((await sessions.update(userId, { step: 'pick_time' })).step).toBe('pick_time');
      expect((await sessions.update(userId, { step: null })).step).toBeNull();
    });

    it('accepts context keys with dots and spaces as plain keys', async () => {
      await sessions.createOrGet(userId);
      const session = await sessions.update(userId, {
        context: { 'a.b': 1, 'c d': 2 },
      });
      expect(session.context).toEqual({ 'a.b': 1, 'c d': 2 });
    });

    it('succeeds when expectedVersion matches', async () => {
      await sessions.createOrGet(userId);
      const session = await sessions.update(userId, { step: 'a' }, { expectedVersion: 1 });
      expect(session.version).toBe(2);
    });

    it('rejects a stale version with VERSION_CONFLICT and leaves the item unchanged', async () => {
      await sessions.createOrGet(userId);
      await sessions.update(userId, { step: 'a' });
      const before = await storedItem(doc, userId);

      await expect(sessions.update(userId, { step: 'b' }, { expectedVersion: 1 })).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
      });
      expect(await storedItem(doc, userId)).toEqual(before);
    });

    it('fails with NOT_FOUND for a missing session and stores nothing', async () => {
      await expect(sessions.update(userId, { step: 'a' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await storedItem(doc, userId)).toBeUndefined();
    });

    it('fails with NOT_FOUND, not VERSION_CONFLICT, for a missing session with an expectedVersion', async () => {
      await expect(sessions.update(userId, { step: 'a' }, { expectedVersion: 3 })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('fails with NOT_FOUND for an expired session and leaves it unchanged', async () => {
      await sessions.createOrGet(userId);
      const before = await storedItem(doc, userId);
      time.advanceDays(31);

      await expect(sessions.update(userId, { step: 'a' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await storedItem(doc, userId)).toEqual(before);
    });

    it('answers SESSION_TOO_LARGE, and keeps the item, once context keys would pass the stored limit', async () => {
      await sessions.createOrGet(userId);
      const chunk = 'x'.repeat(300);
      let failure: unknown;
      for (let index = 0; index < 70 && failure === undefined; index++) {
        await sessions.update(userId, { context: { [`k${index}`]: chunk } }).catch((error) => {
          failure = error;
        });
      }
      expect(failure).toMatchObject({ code: 'SESSION_TOO_LARGE' });
      expect(Object.keys((await sessions.get(userId))?.context ?? {}).length).toBe(LIMITS.contextKeysStored);
    });

    it('rejects an empty patch with VALIDATION_FAILED', async () => {
      await sessions.createOrGet(userId);
      await expect(sessions.update(userId, {})).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });

  describe('clear', () => {
    it('empties step, booking and context, keeping user, session, source and creation time', async () => {
      const { session: created } = await sessions.createOrGet(userId, 'Chatbot');
      await sessions.update(userId, {
        step: 'pick_time',
        booking: { service: 'Haircut' },
        context: { a: 1 },
      });
      time.advanceMs(1_000);

      const session = await sessions.clear(userId);

      expect(session).toEqual({
        ...created,
        version: 3,
        updatedAt: '2026-11-26T10:00:01.000Z',
        expiresAt: '2026-12-26T10:00:01.000Z',
        step: null,
        booking: {},
        context: {},
      });
    });

    it('fails with NOT_FOUND for a missing session and stores nothing', async () => {
      await expect(sessions.clear(userId)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await storedItem(doc, userId)).toBeUndefined();
    });

    it('fails with NOT_FOUND for an expired session', async () => {
      await sessions.createOrGet(userId);
      time.advanceDays(31);
      await expect(sessions.clear(userId)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('rejects a stale version with VERSION_CONFLICT', async () => {
      await sessions.createOrGet(userId);
      await sessions.clear(userId);
      await expect(sessions.clear(userId, { expectedVersion: 1 })).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
      });
      expect((await sessions.get(userId))?.version).toBe(2);
    });
  });

  describe('delete', () => {
    it('deletes the session and reports it, leaving a tombstone without data that no operation sees', async () => {
      await sessions.createOrGet(userId);
      await sessions.update(userId, { step: 'a', booking: { name: 'Ada' }, context: { k: 1 } });
      expect(await sessions.delete(userId)).toBe(true);
      const tombstone = await storedItem(doc, userId);
      expect(tombstone).toMatchObject({ deletedAt: expect.any(String) });
      expect(tombstone).not.toHaveProperty('step');
      expect(tombstone).not.toHaveProperty('booking');
      expect(tombstone).not.toHaveProperty('context');
      expect(await sessions.get(userId)).toBeUndefined();
      expect(await sessions.delete(userId)).toBe(false);
      await expect(sessions.update(userId, { step: 'b' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(sessions.clear(userId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const { session, created } = await sessions.createOrGet(userId);
      expect(created).toBe(true);
      expect(session).toMatchObject({ version: 1, step: null, booking: {}, context: {} });
      expect(await storedItem(doc, userId)).not.toHaveProperty('deletedAt');
    });

    it('returns false when there is no session', async () => {
      expect(await sessions.delete(userId)).toBe(false);
    });

    it('returns false for an expired session in one request, and leaves its data to the sweep', async () => {
      await sessions.createOrGet(userId, 'Chatbot');
      time.advanceDays(31);
      expect(await sessions.delete(userId)).toBe(false);
      expect(await sessions.get(userId)).toBeUndefined();
      expect(await storedItem(doc, userId)).toMatchObject({ source: 'Chatbot' });
    });

    it('deletes when expectedVersion matches', async () => {
      await sessions.createOrGet(userId);
      expect(await sessions.delete(userId, { expectedVersion: 1 })).toBe(true);
    });

    it('rejects a stale version with VERSION_CONFLICT and keeps the session', async () => {
      await sessions.createOrGet(userId);
      await sessions.update(userId, { step: 'a' });
      await expect(sessions.delete(userId, { expectedVersion: 1 })).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
      });
      expect(await sessions.get(userId)).toBeDefined();
    });

    it('returns false, not VERSION_CONFLICT, for a missing session with an expectedVersion', async () => {
      expect(await sessions.delete(userId, { expectedVersion: 4 })).toBe(false);
    });
  });
});
