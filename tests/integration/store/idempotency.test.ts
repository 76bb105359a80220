import { describe, expect, it } from 'vitest';
import type { Session } from '../../../lib/session/session.ts';
import { storedItem, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';
import { functionCallers } from '../../support/functions.ts';

const doc = testDocumentClient();

const { http, invoke } = await functionCallers();

const key = (value: string) => ({ 'idempotency-key': value });

async function newSession(): Promise<string> {
  const userId = uniqueUserId('idempotency');
  expect((await http('PUT', userId)).status).toBe(201);
  return userId;
}

describe('idempotency keys over HTTP', () => {
  it.each([
    ['PATCH', 200, { json: { step: 'pick_time', context: { turns: 1 } } }],
    ['POST', 200, {}],
    ['DELETE', 204, {}],
  ] as const)(
    'a repeated %s is applied once and answers %i again, with Idempotent-Replayed',
    async (method, status, options) => {
      const userId = await newSession();
      const first = await http(method, userId, { ...options, headers: key('msg-1') });
      const afterFirst = await storedItem(doc, userId);
      const repeat = await http(method, userId, { ...options, headers: key('msg-1') });

      expect(first.status, first.text).toBe(status);
      expect(first.headers).not.toHaveProperty('Idempotent-Replayed');
      expect(repeat.status, repeat.text).toBe(status);
      expect(repeat.headers['Idempotent-Replayed']).toBe('true');
      expect(repeat.text).toBe(first.text);
      expect(await storedItem(doc, userId)).toEqual(afterFirst);
    },
  );

  it('a repeated PUT that created answers 201 again, marked as a replay', async () => {
    const userId = uniqueUserId('idempotency');
    const first = await http('PUT', userId, { headers: key('open-1') });
    const repeat = await http('PUT', userId, { headers: key('open-1') });

    expect(first.status).toBe(201);
    expect(repeat.status).toBe(201);
    expect(repeat.headers).toMatchObject({ 'Idempotent-Replayed': 'true', Location: first.headers.Location });
    expect((repeat.json as { sessionId: string }).sessionId).toBe(
      (first.json as { sessionId: string }).sessionId,
    );
  });

  it('a key reused with another body is refused with 422 IDEMPOTENCY_KEY_REUSED, and nothing is stored', async () => {
    const userId = await newSession();
    await http('PATCH', userId, { json: { step: 'a' }, headers: key('msg-2') });
    const before = await storedItem(doc, userId);

    const reused = await http('PATCH', userId, { json: { step: 'b' }, headers: key('msg-2') });
    const otherOperation = await http('POST', userId, { headers: key('msg-2') });

    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(otherOperation.status).toBe(422);
    expect(await storedItem(doc, userId)).toEqual(before);
  });

  it('a key is still honoured after 100 later unkeyed writes and 20 later keyed ones, and forgotten after 21 keyed ones', async () => {
    const userId = await newSession();
    const body = { json: { context: { counter: 1 } }, headers: key('msg-3') };
    expect((await http('PATCH', userId, body)).status).toBe(200);
    // A website's unkeyed PATCHes never push a key out.
    for (let i = 0; i < 100; i++)
      expect((await http('PATCH', userId, { json: { step: `web${i}` } })).status).toBe(200);
    const afterUnkeyed = await storedItem(doc, userId);
    const replay = await http('PATCH', userId, body);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(await storedItem(doc, userId)).toEqual(afterUnkeyed);

    for (let i = 0; i < 20; i++) {
      const later = await http('PATCH', userId, { json: { step: `bot${i}` }, headers: key(`later-${i}`) });
      expect(later.status).toBe(200);
    }
    const after20Keyed = await storedItem(doc, userId);
    expect((await http('PATCH', userId, body)).headers['Idempotent-Replayed']).toBe('true');
    expect(await storedItem(doc, userId)).toEqual(after20Keyed);

    // A 21st later keyed write pushes the key out of the key register: the same request is then a new write.
    expect((await http('PATCH', userId, { json: { step: 'last' }, headers: key('later-20') })).status).toBe(
      200,
    );
    const applied = await http('PATCH', userId, body);
    expect(applied.status).toBe(200);
    expect(applied.headers).not.toHaveProperty('Idempotent-Replayed');
    expect((await storedItem(doc, userId))?.version).toBe(Number(after20Keyed?.version) + 2);
  });

  it('concurrent first uses of one key apply once, and all succeed', async () => {
    const userId = await newSession();
    const before = Number((await storedItem(doc, userId))?.version);
    const body = { json: { context: { inbound: 'wamid.1' } }, headers: key('wamid.1') };

    const answers = await Promise.all(Array.from({ length: 5 }, () => http('PATCH', userId, body)));

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((answer) => answer.headers['Idempotent-Replayed'] === undefined)).toHaveLength(1);
    expect((await storedItem(doc, userId))?.version).toBe(before + 1);
  });

  it('a key whose request was refused with 412 is not recorded: it can be sent again with a new If-Match', async () => {
    const userId = await newSession();
    const { headers } = await http('GET', userId);
    await http('PATCH', userId, { json: { step: 'other' } });

    const stale = await http('PATCH', userId, {
      json: { step: 'a' },
      headers: { ...key('msg-4'), 'if-match': String(headers.ETag) },
    });
    const current = String((await http('GET', userId)).headers.ETag);
    const retried = await http('PATCH', userId, {
      json: { step: 'a' },
      headers: { ...key('msg-4'), 'if-match': current },
    });

    expect(stale.status).toBe(412);
    expect(retried.status).toBe(200);
    expect(retried.headers).not.toHaveProperty('Idempotent-Replayed');
  });

  it('the same key and body with another If-Match is another request: 422, nothing applied', async () => {
    const userId = await newSession();
    const tag = String((await http('GET', userId)).headers.ETag);
    const first = await http('PATCH', userId, { json: { step: 'a' }, headers: key('msg-5') });
    const before = await storedItem(doc, userId);

    const withTag = await http('PATCH', userId, {
      json: { step: 'a' },
      headers: { ...key('msg-5'), 'if-match': tag },
    });

    expect(first.status).toBe(200);
    expect(withTag.status).toBe(422);
    expect(withTag.json).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await storedItem(doc, userId)).toEqual(before);
  });

  it.each([
    ['PUT', 201],
    ['POST', 200],
    ['DELETE', 204],
  ] as const)(
    'concurrent first uses of one key on %s apply once, and all answer %i',
    async (method, status) => {
      const userId = method === 'PUT' ? uniqueUserId('idempotency') : await newSession();
      const before = await storedItem(doc, userId);

      const answers = await Promise.all(
        Array.from({ length: 5 }, () => http(method, userId, { headers: key(`wamid.${method}`) })),
      );

      expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(status));
      expect(answers.filter((answer) => answer.headers['Idempotent-Replayed'] === undefined)).toHaveLength(1);
      const after = await storedItem(doc, userId);
      if (method === 'POST') expect(after?.version).toBe(Number(before?.version) + 1);
      if (method === 'PUT') {
        const sessionIds = new Set(answers.map((answer) => (answer.json as { sessionId: string }).sessionId));
        expect([...sessionIds]).toEqual([after?.sessionId]);
      }
      if (method === 'DELETE') expect(after).toMatchObject({ deletedAt: expect.any(String) });
    },
  );

  it.each([
    ['PATCH', { json: { context: { booked: true } } }],
    ['POST', {}],
  ] as const)(
    'a repeated %s after the session was deleted and created again answers 404 and leaves the new one alone',
    async (method, options) => {
      const userId = await newSession();
      const tag = String((await http('GET', userId)).headers.ETag);
      const request = { ...options, headers: { ...key(`wamid.${method}.D`), 'if-match': tag } };
      expect((await http(method, userId, request)).status).toBe(200);
      expect((await http('DELETE', userId)).status).toBe(204);
      expect((await http('PUT', userId)).status).toBe(201);
      const next = await storedItem(doc, userId);

      const repeat = await http(method, userId, request);

      expect(repeat.status, repeat.text).toBe(404);
      expect(repeat.json).toMatchObject({ error: { code: 'NOT_FOUND' } });
      expect(await storedItem(doc, userId)).toEqual(next);
    },
  );

  it('a repeated PUT after its session was deleted and another created answers 404, not that one', async () => {
    const userId = uniqueUserId('idempotency');
    expect((await http('PUT', userId, { headers: key('open-E') })).status).toBe(201);
    expect((await http('DELETE', userId)).status).toBe(204);
    expect((await http('PUT', userId)).status).toBe(201);
    const next = await storedItem(doc, userId);

    const repeat = await http('PUT', userId, { headers: key('open-E') });

    expect(repeat.status, repeat.text).toBe(404);
    expect(await storedItem(doc, userId)).toEqual(next);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['a control character', 'a\tb'],
  ])('refuses an Idempotency-Key that is %s with 400, storing nothing', async (_name, value) => {
    const userId = await newSession();
    const before = await storedItem(doc, userId);
    const answer = await http('PATCH', userId, { json: { step: 'a' }, headers: key(value) });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(await storedItem(doc, userId)).toEqual(before);
  });
});

describe('idempotency keys by direct invocation', () => {
  it('a repeated update is applied once and answers the same, with replayed: true', async () => {
    const userId = await newSession();
    const payload = { userId, context: { turns: 2 }, idempotencyKey: 'wamid.2' };
    const first = await invoke('update', payload);
    const repeat = await invoke('update', payload);

    expect(first).not.toHaveProperty('replayed');
    expect(repeat).toEqual({ ...first, replayed: true });
  });

  it('a repeated create-or-get, clear and delete answer as the first time, with replayed: true', async () => {
    const userId = uniqueUserId('idempotency');
    const created = await invoke('create-or-get', { userId, idempotencyKey: 'c-1' });
    expect(await invoke('create-or-get', { userId, idempotencyKey: 'c-1' })).toEqual({
      ...created,
      replayed: true,
    });
    const cleared = await invoke('clear', { userId, idempotencyKey: 'c-2' });
    expect(await invoke('clear', { userId, idempotencyKey: 'c-2' })).toEqual({ ...cleared, replayed: true });
    expect(await invoke('delete', { userId, idempotencyKey: 'c-3' })).toEqual({ ok: true, deleted: true });
    expect(await invoke('delete', { userId, idempotencyKey: 'c-3' })).toEqual({
      ok: true,
      deleted: true,
      replayed: true,
    });
    expect(created).toMatchObject({ ok: true, created: true });
  });

  it('a key reused with another payload answers IDEMPOTENCY_KEY_REUSED and stores nothing', async () => {
    const userId = await newSession();
    await invoke('update', { userId, step: 'a', idempotencyKey: 'wamid.3' });
    const before = await storedItem(doc, userId);

    const reused = await invoke('update', { userId, step: 'b', idempotencyKey: 'wamid.3' });

    expect(reused).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await storedItem(doc, userId)).toEqual(before);
  });

  it('a key is still honoured after 100 later unkeyed writes and 20 later keyed ones, and forgotten after 21 keyed ones', async () => {
    const userId = await newSession();
    const payload = { userId, context: { counter: 1 }, idempotencyKey: 'wamid.4' };
    await invoke('update', payload);
    for (let i = 0; i < 100; i++) await invoke('update', { userId, step: `s${i}` });
    for (let i = 0; i < 20; i++)
      await invoke('update', { userId, step: `k${i}`, idempotencyKey: `later.${i}` });
    const before = await storedItem(doc, userId);

    expect(await invoke('update', payload)).toMatchObject({ ok: true, replayed: true });
    expect(await storedItem(doc, userId)).toEqual(before);

    await invoke('update', { userId, step: 'last', idempotencyKey: 'later.20' });
    const applied = await invoke('update', payload);
    expect(applied).toMatchObject({ ok: true, session: { version: Number(before?.version) + 2 } });
    expect(applied).not.toHaveProperty('replayed');
  });

  it('concurrent first uses of one key apply once, and all succeed', async () => {
    const userId = await newSession();
    const before = Number((await storedItem(doc, userId))?.version);
    const payload = { userId, context: { inbound: 'wamid.5' }, idempotencyKey: 'wamid.5' };

    const answers = await Promise.all(Array.from({ length: 5 }, () => invoke('update', payload)));

    expect(answers.every((answer) => answer.ok === true)).toBe(true);
    expect(answers.filter((answer) => answer.replayed === undefined)).toHaveLength(1);
    expect((await storedItem(doc, userId))?.version).toBe(before + 1);
  });

  it('a repeated update after the session was deleted and created again answers NOT_FOUND', async () => {
    const userId = await newSession();
    const payload = { userId, context: { booked: true }, idempotencyKey: 'wamid.6' };
    expect(await invoke('update', payload)).toMatchObject({ ok: true });
    expect(await invoke('delete', { userId })).toEqual({ ok: true, deleted: true });
    const next = await invoke('create-or-get', { userId });

    expect(await invoke('update', payload)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await invoke('get-session', { userId })).toMatchObject({ session: next.session });
  });

  it.each([
    ['update', { context: { turns: 3 } }],
    ['clear', {}],
    ['delete', {}],
  ] as const)(
    'the same %s payload sent twice with one callId (the Lambda SDK resending it) is applied once, answered as that call',
    async (fn, fields) => {
      const userId = await newSession();
      const payload = { userId, ...fields, callId: crypto.randomUUID() };

      const first = await invoke(fn, payload);
      const afterFirst = await storedItem(doc, userId);
      const resent = await invoke(fn, payload);

      expect(first).toMatchObject({ ok: true });
      // The same call, not a repeat of an earlier one: no replay marker, the same answer.
      expect(resent).toEqual(first);
      expect(await storedItem(doc, userId)).toEqual(afterFirst);
    },
  );

  it('the same create-or-get payload sent twice with one callId is the same call: one session, created once, no replay marker', async () => {
    const userId = uniqueUserId('idempotency');
    const payload = { userId, callId: crypto.randomUUID() };

    const first = (await invoke('create-or-get', payload)) as { session: Session; created: boolean };
    const resent = (await invoke('create-or-get', payload)) as { session: Session; created: boolean };

    // A create-or-get records nothing: its resend finds the session its callId proposed, and says it
    // created it. Applied twice it only refreshes the activity, which a create-or-get does anyway.
    expect(resent).toMatchObject({ ok: true, created: true });
    expect(resent).not.toHaveProperty('replayed', true);
    expect(resent.session).toMatchObject({
      sessionId: first.session.sessionId,
      version: first.session.version,
      createdAt: first.session.createdAt,
    });
    expect((await storedItem(doc, userId))?.sessionId).toBe(first.session.sessionId);
  });

  it('a key first used by another operation is refused, naming that operation', async () => {
    const userId = uniqueUserId('idempotency');
    await invoke('create-or-get', { userId, idempotencyKey: 'wamid.8' });

    const update = await invoke('update', { userId, step: 'a', idempotencyKey: 'wamid.8' });

    expect(update).toMatchObject({
      ok: false,
      error: {
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: [{ path: 'idempotencyKey', message: 'was used by createOrGet' }],
      },
    });
  });

  it('a callId sent again with another payload is refused, naming callId', async () => {
    const userId = await newSession();
    const callId = crypto.randomUUID();
    await invoke('clear', { userId, callId });
    const before = await storedItem(doc, userId);

    const reused = await invoke('update', { userId, step: 'a', callId });

    expect(reused).toMatchObject({
      ok: false,
      error: { code: 'IDEMPOTENCY_KEY_REUSED', details: [{ path: 'callId', message: 'was used by clear' }] },
    });
    expect(await storedItem(doc, userId)).toEqual(before);
  });

  it('a new callId with the same idempotencyKey is a redelivery: a replay', async () => {
    const userId = await newSession();
    const payload = { userId, step: 'pick_time', idempotencyKey: 'wamid.7' };
    const first = await invoke('update', { ...payload, callId: crypto.randomUUID() });
    const resent = await invoke('update', { ...payload, callId: crypto.randomUUID() });
    expect(resent).toEqual({ ...first, replayed: true });
  });

  it('a callId whose first sending failed its precondition is applied when sent again and it holds', async () => {
    const userId = await newSession();
    const callId = crypto.randomUUID();
    const stale = await invoke('update', { userId, step: 'a', expectedVersion: 2, callId });
    await invoke('update', { userId, step: 'b' });
    const applied = await invoke('update', { userId, step: 'a', expectedVersion: 2, callId });
    expect(stale).toMatchObject({ ok: false, error: { code: 'VERSION_CONFLICT' } });
    expect(applied).toMatchObject({ ok: true, session: { version: 3, step: 'a' } });
  });

  it('refuses an idempotencyKey that is not 1-255 printable ASCII characters', async () => {
    const userId = await newSession();
    for (const idempotencyKey of ['', 'k'.repeat(256), 'clé', 7]) {
      expect(await invoke('clear', { userId, idempotencyKey })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await invoke('clear', { userId, callId: idempotencyKey })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED', details: [{ path: 'callId' }] },
      });
    }
  });
});
