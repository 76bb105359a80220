/**
 * Entity tags bound to a session's lifetime: `ETag: "<sessionId>.<version>"`, so a tag from a deleted
 * session, or from an expired one that was replaced, never matches the session that took its place. Tags
 * that can match nothing (a bare version, a version beyond 2^53) fail as preconditions, never as a 5xx.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { activityTimes, DAY_MS } from '../../../lib/store/clock.ts';
import { storedItem, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';
import { functionCallers } from '../../support/functions.ts';
import { newSessionItem } from '../../support/items.ts';

const doc = testDocumentClient();

const { http, invoke } = await functionCallers();

const WRITES = [
  ['PATCH', { json: { step: 'a' } }],
  ['POST', {}],
  ['DELETE', {}],
] as const;

/** A stored session whose last activity was 31 days ago: expired for every operation. */
async function expiredSession(userId: string): Promise<string> {
  const item = newSessionItem(
    userId,
    crypto.randomUUID(),
    'Website',
    activityTimes(new Date(Date.now() - 31 * DAY_MS), 30, { userId }),
  );
  await doc.send(new PutCommand({ TableName: inject('tableName'), Item: item }));
  return `"${item.sessionId}.1"`;
}

describe('entity tags', () => {
  it('are "<sessionId>.<version>" on every response that carries a session', async () => {
    const userId = uniqueUserId('etag');
    const created = await http('PUT', userId);
    const { sessionId } = created.json as { sessionId: string };
    expect(created.headers.ETag).toBe(`"${sessionId}.1"`);
    expect((await http('PATCH', userId, { json: { step: 'a' } })).headers.ETag).toBe(`"${sessionId}.2"`);
    expect((await http('GET', userId)).headers.ETag).toBe(`"${sessionId}.2"`);
  });

  it.each(WRITES)(
    'a tag from a deleted session gets 412 on %s once the session is created again',
    async (method, options) => {
      const userId = uniqueUserId('etag');
      const oldTag = String((await http('PUT', userId)).headers.ETag);
      expect((await http('DELETE', userId)).status).toBe(204);
      expect((await http('PUT', userId)).status).toBe(201);

      const answer = await http(method, userId, { ...options, headers: { 'if-match': oldTag } });

      expect(answer.status, answer.text).toBe(412);
      expect(answer.json).toMatchObject({ error: { code: 'VERSION_CONFLICT' } });
      expect((await http('GET', userId)).headers.ETag).not.toBe(oldTag);
    },
  );

  it.each(WRITES)(
    'a tag from an expired session that was replaced gets 412 on %s',
    async (method, options) => {
      const userId = uniqueUserId('etag');
      const oldTag = await expiredSession(userId);
      const replaced = await http('PUT', userId);
      expect(replaced.status).toBe(201);

      const answer = await http(method, userId, { ...options, headers: { 'if-match': oldTag } });

      expect(answer.status, answer.text).toBe(412);
      expect((await http('GET', userId)).status).toBe(200);
    },
  );

  it.each(['update', 'clear', 'delete'] as const)(
    'invoke %s with the expectedSessionId of a replaced session answers VERSION_CONFLICT',
    async (fn) => {
      const userId = uniqueUserId('etag');
      const first = (await invoke('create-or-get', { userId })).session as { sessionId: string };
      expect(await invoke('delete', { userId })).toEqual({ ok: true, deleted: true });
      await invoke('create-or-get', { userId });

      const payload = { userId, expectedSessionId: first.sessionId, expectedVersion: 1 };
      const answer = await invoke(fn, fn === 'update' ? { ...payload, step: 'a' } : payload);

      expect(answer).toMatchObject({ ok: false, error: { code: 'VERSION_CONFLICT' } });
    },
  );

  it.each(['update', 'clear', 'delete'] as const)(
    'invoke %s with the expectedSessionId of an expired session that was replaced answers VERSION_CONFLICT',
    async (fn) => {
      const userId = uniqueUserId('etag');
      const oldTag = await expiredSession(userId);
      const replaced = await invoke('create-or-get', { userId });
      expect(replaced).toMatchObject({ ok: true, created: true });

      const [expectedSessionId] = oldTag.slice(1, -1).split('.');
      const payload = { userId, expectedSessionId, expectedVersion: 1 };
      const answer = await invoke(fn, fn === 'update' ? { ...payload, step: 'a' } : payload);

      expect(answer).toMatchObject({ ok: false, error: { code: 'VERSION_CONFLICT' } });
      expect(await invoke('get-session', { userId })).toMatchObject({ ok: true, session: replaced.session });
    },
  );

  it('invoke with the current expectedSessionId and expectedVersion succeeds', async () => {
    const userId = uniqueUserId('etag');
    const { sessionId } = (await invoke('create-or-get', { userId })).session as { sessionId: string };
    expect(
      await invoke('update', { userId, step: 'a', expectedSessionId: sessionId, expectedVersion: 1 }),
    ).toMatchObject({
      ok: true,
      session: { version: 2 },
    });
  });

  describe('If-Match beyond the safe integer range, or without a lifetime', () => {
    const tags = [
      '"9007199254740992"',
      '"9999999999999999"',
      '"99999999999999999999"',
      '"1"',
      `"${crypto.randomUUID()}.9007199254740993"`,
      `"${crypto.randomUUID()}.99999999999999999999"`,
    ];
    const cells = WRITES.flatMap(([method, options]) => tags.map((tag) => [method, tag, options] as const));

    it.each(cells)('%s with If-Match %s answers 412 and changes nothing', async (method, tag, options) => {
      const userId = uniqueUserId('etag');
      await http('PUT', userId);
      const before = await storedItem(doc, userId);

      const answer = await http(method, userId, { ...options, headers: { 'if-match': tag } });

      expect(answer.status, answer.text).toBe(412);
      expect(answer.json).toMatchObject({ error: { code: 'VERSION_CONFLICT' } });
      expect(await storedItem(doc, userId)).toEqual(before);
    });

    it.each([2 ** 53, 2 ** 53 + 2, 1e20, 1e300])(
      'invoke with expectedVersion %d answers VERSION_CONFLICT on update, clear and delete',
      async (expectedVersion) => {
        const userId = uniqueUserId('etag');
        await invoke('create-or-get', { userId });
        for (const fn of ['update', 'clear', 'delete'] as const) {
          const payload = { userId, expectedVersion, ...(fn === 'update' ? { step: 'a' } : {}) };
          expect(await invoke(fn, payload)).toMatchObject({ ok: false, error: { code: 'VERSION_CONFLICT' } });
        }
      },
    );

    it('on a missing session, such a tag answers 404 as any write there would', async () => {
      const answer = await http('PATCH', uniqueUserId('etag'), {
        json: { step: 'a' },
        headers: { 'if-match': '"99999999999999999999"' },
      });
      expect(answer.status).toBe(404);
    });
  });

  describe('If-Match on GET and PUT', () => {
    it('GET honours If-Match: 200 when it matches (or is *), 412 when it does not', async () => {
      const userId = uniqueUserId('etag');
      const tag = String((await http('PUT', userId)).headers.ETag);
      expect((await http('GET', userId, { headers: { 'if-match': tag } })).status).toBe(200);
      expect((await http('GET', userId, { headers: { 'if-match': '*' } })).status).toBe(200);
      await http('PATCH', userId, { json: { step: 'a' } });
      expect((await http('GET', userId, { headers: { 'if-match': tag } })).status).toBe(412);
    });

    it('PUT refuses If-Match with 400 VALIDATION_FAILED, creating nothing', async () => {
      const userId = uniqueUserId('etag');
      const answer = await http('PUT', userId, { headers: { 'if-match': '*' } });
      expect(answer.status).toBe(400);
      expect(await storedItem(doc, userId)).toBeUndefined();
    });
  });
});
