/**
 * Erase over HTTP (POST /sessions/{userId}/erase) and by direct invocation, and export by direct
 * invocation, through the real functions. After an erase the raw item is absent, the index entry is
 * gone and GET answers 404; a repeat is the same success, and later writes store nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexEntriesOf, storedItem, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';
import { loadFunctions } from '../../support/functions.ts';
import type { LambdaHandler } from '../../support/lambda-events.ts';
import { type FunctionName, httpEvent, lambdaContext, readHttp } from '../../support/lambda-events.ts';
import { assertMatchesOpenApi } from '../../support/openapi.ts';

const ERASE_ROUTE = '/sessions/{userId}/erase';
const doc = testDocumentClient();
let fns: Record<FunctionName, LambdaHandler>;

beforeAll(async () => {
  fns = await loadFunctions();
});
afterAll(() => doc.destroy());

async function erase(userId: string, options: Parameters<typeof httpEvent>[2] = {}) {
  const answer = readHttp(
    await fns.erase(httpEvent('POST', userId, { suffix: '/erase', ...options }), lambdaContext()),
  );
  assertMatchesOpenApi(ERASE_ROUTE, 'POST', answer.status, answer.json, answer.headers);
  return answer;
}

const invoke = async (fn: FunctionName, payload: unknown) =>
  (await fns[fn](payload, lambdaContext())) as Record<string, unknown>;

/** A session with booking data, created and written by invocation; answers its index shard. */
async function sessionWithData(userId: string): Promise<number> {
  await invoke('create-or-get', { userId });
  await invoke('update', { userId, booking: { name: 'Ada Lovelace', phone: '+447700900123' } });
  const shard = Number((await storedItem(doc, userId))?.activityShard);
  expect(await indexEntriesOf(doc, userId, shard)).toHaveLength(1);
  return shard;
}

async function expectErased(userId: string, shard: number) {
  expect(await storedItem(doc, userId)).toBeUndefined();
  expect(await indexEntriesOf(doc, userId, shard)).toEqual([]);
  const get = readHttp(await fns['get-session'](httpEvent('GET', userId), lambdaContext()));
  expect(get.status).toBe(404);
}

describe('erase over HTTP', () => {
  it('answers 204 and leaves no item, no index entry and no session', async () => {
    const userId = uniqueUserId('wa:+447700900');
    const shard = await sessionWithData(userId);

    const answer = await erase(userId);

    expect(answer.status).toBe(204);
    expect(answer.headers['Cache-Control']).toBe('no-store');
    await expectErased(userId, shard);
  });

  it('answers a repeat, with or without the same key, with the same 204, and brings nothing back', async () => {
    const userId = uniqueUserId('wa:+447700900');
    const shard = await sessionWithData(userId);
    const headers = { 'idempotency-key': 'erase-once' };

    const answers = [await erase(userId, { headers }), await erase(userId, { headers }), await erase(userId)];

    expect(answers.map((answer) => answer.status)).toEqual([204, 204, 204]);
    expect(answers.map((answer) => answer.headers['Idempotent-Replayed'])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    await expectErased(userId, shard);
  });

  it('leaves later writes nothing to write (404) and lets PUT start a new session (201)', async () => {
    const userId = uniqueUserId('wa:+447700900');
    const shard = await sessionWithData(userId);
    await erase(userId);

    const patch = readHttp(
      await fns.update(httpEvent('PATCH', userId, { json: { step: 'confirm' } }), lambdaContext()),
    );
    const clear = readHttp(await fns.clear(httpEvent('POST', userId), lambdaContext()));
    const remove = readHttp(await fns.delete(httpEvent('DELETE', userId), lambdaContext()));
    expect([patch.status, clear.status, remove.status]).toEqual([404, 404, 404]);
    await expectErased(userId, shard);

    const put = readHttp(await fns['create-or-get'](httpEvent('PUT', userId), lambdaContext()));
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({ version: 1, booking: {}, context: {}, step: null });
  });

  it.each([
    ['If-Match (erase is unconditional)', { headers: { 'if-match': '*' } }, 400],
    ['a body other than {}', { json: { everything: true } }, 400],
    ['a token of another user', { sub: 'someone-else' }, 403],
    ['no token', { sub: null }, 401],
  ] as const)('refuses %s and erases nothing', async (_name, options, status) => {
    const userId = uniqueUserId('wa:+447700900');
    await sessionWithData(userId);

    expect((await erase(userId, options)).status).toBe(status);
    expect(await storedItem(doc, userId)).toMatchObject({ booking: { name: 'Ada Lovelace' } });
  });
});

describe('erase by direct invocation', () => {
  it('answers ok and leaves no item, no index entry and no session; a repeat answers the same', async () => {
    const userId = uniqueUserId('wa:+447700900');
    const shard = await sessionWithData(userId);

    expect(await invoke('erase', { userId, callId: 'call-1' })).toEqual({ ok: true });
    expect(await invoke('erase', { userId, callId: 'call-1' })).toEqual({ ok: true });

    await expectErased(userId, shard);
    expect(await invoke('get-session', { userId })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await invoke('update', { userId, step: 'confirm' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await invoke('delete', { userId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await expectErased(userId, shard);
  });

  it.each([
    ['no userId', {}],
    ['a precondition', { userId: 'wa:+447700900123', expectedVersion: 1 }],
    ['an empty key', { userId: 'wa:+447700900123', idempotencyKey: '' }],
  ])('refuses %s with VALIDATION_FAILED', async (_name, payload) => {
    expect(await invoke('erase', payload)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });
});

describe('export by direct invocation', () => {
  it('answers everything stored about the user, as the stored item holds it', async () => {
    const userId = uniqueUserId('wa:+447700900');
    await sessionWithData(userId);
    const item = (await storedItem(doc, userId)) as Record<string, unknown>;

    const answer = await invoke('export-user', { userId });

    expect(answer).toEqual({
      ok: true,
      export: {
        userId,
        session: {
          userId,
          sessionId: item.sessionId,
          source: 'Chatbot',
          version: 2,
          createdAt: item.createdAt,
          updatedAt: item.updatedAt,
          expiresAt: new Date(Date.parse(String(item.updatedAt)) + 30 * 86_400_000).toISOString(),
          step: null,
          booking: { name: 'Ada Lovelace', phone: '+447700900123' },
          context: {},
          live: true,
          purgeAt: new Date(Number(item.purgeAt) * 1000).toISOString(),
        },
        tombstone: null,
        rememberedWriteIds: { keyed: 0, unkeyed: 1 },
      },
    });
  });

  it('answers an empty document after erase', async () => {
    const userId = uniqueUserId('wa:+447700900');
    await sessionWithData(userId);
    await invoke('erase', { userId });

    expect(await invoke('export-user', { userId })).toEqual({
      ok: true,
      export: { userId, session: null, tombstone: null, rememberedWriteIds: { keyed: 0, unkeyed: 0 } },
    });
  });

  it('is not offered over HTTP', async () => {
    const userId = uniqueUserId('wa:+447700900');
    const answer = readHttp(await fns['export-user'](httpEvent('GET', userId), lambdaContext()));
    expect(answer.status).toBe(400);
  });
});
