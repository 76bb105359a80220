import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { localToken } from '../../lib/local/token.ts';
import { assertMatchesOpenApi } from '../support/openapi.ts';
import { api } from '../support/stack-http.ts';

const newUser = () => `wa:+44${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const session = (response: { body: unknown }) =>
  response.body as Record<string, unknown> & { version: number };

describe('HTTP API', () => {
  describe('PUT /sessions/{userId}', () => {
    it('creates the session: 201, Location, ETag and JSON', async () => {
      const userId = newUser();

      const response = await api('PUT', userId);

      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe(`/sessions/${encodeURIComponent(userId)}`);
      expect(response.headers.get('etag')).toBe(`"${session(response).sessionId}.1"`);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ userId, source: 'Website', version: 1, step: null });
    });

    it('returns the existing session with 200 and keeps its source', async () => {
      const userId = newUser();
      const created = await api('PUT', userId, { body: { source: 'Chatbot' } });

      const again = await api('PUT', userId, { body: { source: 'Website' } });

      expect(again.status).toBe(200);
      expect(session(again)).toMatchObject({ sessionId: session(created).sessionId, source: 'Chatbot' });
      expect(again.headers.get('location')).toBeNull();
    });

    it('rejects a source that is not Website or Chatbot', async () => {
      const response = await api('PUT', newUser(), { body: { source: 'Email' } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    });
  });

  describe('GET /sessions/{userId}', () => {
    it('returns the session with its ETag', async () => {
      const userId = newUser();
      const created = await api('PUT', userId);

      const response = await api('GET', userId);

      expect(response.status).toBe(200);
      expect(response.body).toEqual(created.body);
      expect(response.headers.get('etag')).toBe(`"${session(created).sessionId}.1"`);
    });

    it('answers 404 NOT_FOUND when there is no session', async () => {
      const response = await api('GET', newUser());
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        error: { code: 'NOT_FOUND', message: 'session not found', details: [] },
      });
    });
  });

  describe('PATCH /sessions/{userId}', () => {
    it('merges the patch and moves the ETag', async () => {
      const userId = newUser();
      const created = await api('PUT', userId);

      const response = await api('PATCH', userId, {
        body: {
          step: 'pick_time',
          booking: { service: 'Haircut', partySize: 2 },
          context: { language: 'en' },
        },
        headers: { 'If-Match': String(created.headers.get('etag')) },
      });

      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe(`"${session(created).sessionId}.2"`);
      expect(response.body).toMatchObject({
        step: 'pick_time',
        booking: { service: 'Haircut', partySize: 2 },
      });
    });

    it('answers 412 VERSION_CONFLICT for a stale If-Match and changes nothing', async () => {
      const userId = newUser();
      await api('PUT', userId);
      await api('PATCH', userId, { body: { step: 'a' } });

      const response = await api('PATCH', userId, { body: { step: 'b' }, headers: { 'If-Match': '"1"' } });

      expect(response.status).toBe(412);
      expect(response.body).toMatchObject({ error: { code: 'VERSION_CONFLICT' } });
      expect(session(await api('GET', userId))).toMatchObject({ step: 'a', version: 2 });
    });

    it('accepts If-Match: * for any existing session', async () => {
      const userId = newUser();
      await api('PUT', userId);
      const response = await api('PATCH', userId, { body: { step: 'a' }, headers: { 'If-Match': '*' } });
      expect(response.status).toBe(200);
    });

    it('answers 404 for a missing session', async () => {
      const response = await api('PATCH', newUser(), { body: { step: 'a' } });
      expect(response.status).toBe(404);
    });

    it.each([
      [
        'malformed JSON',
        { rawBody: '{"step":', headers: { 'Content-Type': 'application/json' } },
        400,
        'VALIDATION_FAILED',
      ],
      ['a body that is an array', { body: [1, 2] }, 400, 'VALIDATION_FAILED'],
      ['a service-owned field', { body: { version: 7 } }, 400, 'VALIDATION_FAILED'],
      ['a bad date', { body: { booking: { date: '2026-02-30' } } }, 400, 'VALIDATION_FAILED'],
      [
        'a body that is not JSON',
        { rawBody: 'step=a', headers: { 'Content-Type': 'text/plain' } },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      ['a body over 16 KB', { body: { context: { blob: 'x'.repeat(17 * 1024) } } }, 413, 'PAYLOAD_TOO_LARGE'],
      [
        'a weak If-Match',
        { body: { step: 'a' }, headers: { 'If-Match': 'W/"1"' } },
        400,
        'VALIDATION_FAILED',
      ],
    ])('rejects %s', async (_name, request, status, code) => {
      const userId = newUser();
      await api('PUT', userId);

      const response = await api('PATCH', userId, request);

      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ error: { code } });
      expect(session(await api('GET', userId)).version).toBe(1);
    });

    it('names the failing field in the message and the details', async () => {
      const userId = newUser();
      await api('PUT', userId);
      const response = await api('PATCH', userId, { body: { booking: { date: '2026-02-30' } } });
      expect(response.body).toEqual({
        error: {
          code: 'VALIDATION_FAILED',
          message: 'booking.date must be a real date (YYYY-MM-DD)',
          details: [{ path: 'booking.date', message: 'must be a real date (YYYY-MM-DD)' }],
        },
      });
    });
  });

  describe('POST /sessions/{userId}/clear', () => {
    it('empties the data and keeps the session', async () => {
      const userId = newUser();
      const created = await api('PUT', userId);
      await api('PATCH', userId, { body: { step: 'a', booking: { name: 'Ada' } } });

      const response = await api('POST', userId);

      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBe(`"${session(created).sessionId}.3"`);
      expect(response.body).toMatchObject({
        sessionId: session(created).sessionId,
        step: null,
        booking: {},
        context: {},
      });
    });

    it('answers 404 for a missing session and 412 for a stale version', async () => {
      expect((await api('POST', newUser())).status).toBe(404);
      const userId = newUser();
      await api('PUT', userId);
      expect((await api('POST', userId, { headers: { 'If-Match': '"5"' } })).status).toBe(412);
    });
  });

  describe('DELETE /sessions/{userId}', () => {
    it('deletes with 204 and no body, then answers 404', async () => {
      const userId = newUser();
      const created = await api('PUT', userId);

      const response = await api('DELETE', userId, {
        headers: { 'If-Match': String(created.headers.get('etag')) },
      });

      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect((await api('GET', userId)).status).toBe(404);
      expect((await api('DELETE', userId)).status).toBe(404);
    });

    it('answers 412 for a stale If-Match and keeps the session', async () => {
      const userId = newUser();
      await api('PUT', userId);
      await api('PATCH', userId, { body: { step: 'a' } });
      expect((await api('DELETE', userId, { headers: { 'If-Match': '"1"' } })).status).toBe(412);
      expect((await api('GET', userId)).status).toBe(200);
    });
  });

  describe('authorization', () => {
    it.each(['PUT', 'GET', 'PATCH', 'POST', 'DELETE'])('%s without a token answers 401', async (method) => {
      const response = await api(method, newUser(), { token: null });
      expect(response.status).toBe(401);
    });

    const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

    it.each([
      ['an expired token', (userId: string) => localToken(userId, { ttlSeconds: -60 })],
      // JSON drops an undefined claim: a token with no `exp` at all, which API Gateway refuses.
      ['a token without exp', (userId: string) => localToken(userId, { claims: { exp: undefined } })],
      [
        'a token with a non-numeric exp',
        (userId: string) => localToken(userId, { claims: { exp: 'never' } }),
      ],
      [
        'a token not valid before an hour from now (nbf)',
        (userId: string) => localToken(userId, { claims: { nbf: inAnHour() } }),
      ],
      [
        'a token issued an hour from now (iat)',
        (userId: string) => localToken(userId, { claims: { iat: inAnHour() } }),
      ],
      ['another audience', (userId: string) => localToken(userId, { claims: { aud: 'someone-else' } })],
      [
        'another issuer',
        (userId: string) => localToken(userId, { claims: { iss: 'https://evil.example/' } }),
      ],
    ])('rejects %s with 401', async (_name, token) => {
      const userId = newUser();
      expect((await api('PUT', userId, { token: token(userId) })).status).toBe(401);
    });

    it('accepts a token whose nbf and iat have passed, as API Gateway does', async () => {
      const userId = newUser();
      const past = Math.floor(Date.now() / 1000) - 60;
      const token = localToken(userId, { claims: { nbf: past, iat: past } });

      expect((await api('PUT', userId, { token })).status).toBe(201);
    });

    it.each(['PUT', 'GET', 'PATCH', 'POST', 'DELETE'])(
      '%s with another user’s token answers 403 and touches nothing',
      async (method) => {
        const victim = newUser();
        const response = await api(method, victim, {
          token: localToken(newUser()),
          ...(method === 'PATCH' ? { body: { step: 'a' } } : {}),
        });

        expect(response.status).toBe(403);
        expect(response.body).toEqual({
          error: {
            code: 'FORBIDDEN',
            message: 'the token does not grant access to this session',
            details: [],
          },
        });
        expect((await api('GET', victim)).status).toBe(404);
      },
    );

    it('answers the same 403 whether or not the other user has a session', async () => {
      const withSession = newUser();
      await api('PUT', withSession);
      const attacker = localToken(newUser());

      const existing = await api('GET', withSession, { token: attacker });
      const missing = await api('GET', newUser(), { token: attacker });

      expect(existing.status).toBe(403);
      expect(existing.text).toBe(missing.text);
    });
  });

  describe('CORS', () => {
    it('answers a preflight with the allowed methods and headers, and exposes ETag and Location', async () => {
      const response = await fetch(`${(await import('vitest')).inject('httpUrl')}/sessions/u1`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://localhost:5173',
          'Access-Control-Request-Method': 'PATCH',
          'Access-Control-Request-Headers': 'authorization,content-type,if-match',
        },
      });

      expect(response.status).toBe(204);
      assertMatchesOpenApi('/sessions/{userId}', 'OPTIONS', 204, await response.text(), response.headers);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(response.headers.get('access-control-allow-methods')).toBe('GET,PUT,PATCH,POST,DELETE');
      expect(response.headers.get('access-control-allow-headers')).toBe(
        'Authorization,Content-Type,If-Match,Idempotency-Key',
      );
      expect(response.headers.get('access-control-expose-headers')).toBe('ETag,Location,Idempotent-Replayed');
    });
  });

  it('decodes an URL-encoded userId before checking it', async () => {
    const userId = 'wa:+447700900123';
    const response = await api('PUT', userId, { path: '/sessions/wa%3A%2B447700900123' });
    expect([200, 201]).toContain(response.status);
    expect(session(response).userId).toBe(userId);
    expect((await api('DELETE', userId)).status).toBe(204);
  });
});
