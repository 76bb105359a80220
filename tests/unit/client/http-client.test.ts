/**
 * The website's client with a fake `fetch`: every request it sends is recorded, and each answer is
 * scripted, so the tests see the routes, headers and keys, and can produce what the local stack cannot
 * (a dropped connection, a 503, API Gateway's own 429).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type FetchLike,
  IdempotencyKeyReusedError,
  keyUsedBy,
  NotFoundError,
  type Session,
  SessionHttpClient,
  type SessionHttpClientOptions,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  VersionConflictError,
  wasReplayed,
} from '../../../lib/client/http.ts';
import { ifMatchOf, mayResend } from '../../../lib/client/http-client.ts';
import type { Patch } from '../../../lib/client/index.ts';
import { entityTag } from '../../../lib/handlers/http.ts';

const BASE = 'https://api.example.com';
const USER = 'wa:+447700900123';
const URL_OF_USER = `${BASE}/sessions/wa%3A%2B447700900123`;
const SESSION_ID = '6f1c2a64-1d5b-4c1e-9a39-2f7d3c0e8b11';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function session(overrides: Partial<Session> = {}): Session {
  return {
    userId: USER,
    sessionId: SESSION_ID,
    source: 'Website',
    version: 1,
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    expiresAt: '2026-12-26T10:00:00.000Z',
    step: null,
    booking: {},
    context: {},
    ...overrides,
  };
}

/** A scripted answer: a status with a JSON (or raw) body and headers, or a thrown network failure. */
type Scripted = { status: number; body?: unknown; raw?: string; headers?: Record<string, string> } | Error;

const ok = (value: Session, status = 200, headers: Record<string, string> = {}): Scripted => ({
  status,
  body: value,
  headers: { ETag: entityTag(value), ...headers },
});
const failure = (status: number, code: string, details: unknown[] = []): Scripted => ({
  status,
  body: { error: { code, message: `${code} happened`, details } },
});

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A client on a fake fetch that answers from `script` in order; waits are recorded, not slept. */
function testClient(script: Scripted[], options: Partial<SessionHttpClientOptions> = {}) {
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  let tokens = 0;
  const fetch: FetchLike = async (url, init) => {
    sent.push({
      url,
      method: init.method,
      headers: { ...init.headers },
      body: init.body === undefined ? undefined : JSON.parse(init.body),
    });
    const next = script.shift();
    if (!next) throw new Error(`no answer left for ${init.method} ${url}`);
    if (next instanceof Error) throw next;
    const headers = new Headers(next.headers);
    return {
      status: next.status,
      headers,
      text: async () => next.raw ?? (next.body === undefined ? '' : JSON.stringify(next.body)),
    };
  };
  const clock = { time: 0 };
  const client = new SessionHttpClient({
    baseUrl: `${BASE}/`,
    getToken: () => `token-${++tokens}`,
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => {
      clock.time += 10;
      return clock.time;
    },
    ...options,
  });
  return { client, sent, sleeps };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('SessionHttpClient', () => {
  describe('requests', () => {
    const held = session({ version: 7 });
    const patch: Patch = { step: 'pick_time', booking: { date: '2026-12-03', time: null } };

    it.each<[string, (client: SessionHttpClient) => Promise<unknown>, Scripted, Omit<Sent, 'headers'>]>([
      [
        'createOrGet',
        (c) => c.createOrGet(USER),
        ok(session(), 201),
        { url: URL_OF_USER, method: 'PUT', body: undefined },
      ],
      [
        'createOrGet with a source',
        (c) => c.createOrGet(USER, 'Chatbot'),
        ok(session(), 201),
        { url: URL_OF_USER, method: 'PUT', body: { source: 'Chatbot' } },
      ],
      [
        'getSession',
        (c) => c.getSession(USER),
        ok(session()),
        { url: URL_OF_USER, method: 'GET', body: undefined },
      ],
      [
        'update',
        (c) => c.update(USER, patch),
        ok(session()),
        { url: URL_OF_USER, method: 'PATCH', body: patch },
      ],
      [
        'clear',
        (c) => c.clear(USER),
        ok(session()),
        { url: `${URL_OF_USER}/clear`, method: 'POST', body: undefined },
      ],
      [
        'delete',
        (c) => c.delete(held),
        { status: 204 },
        { url: URL_OF_USER, method: 'DELETE', body: undefined },
      ],
    ])(
      '%s goes to its route with the token, and a JSON body only when it has one',
      async (_name, call, answer, expected) => {
        const { client, sent } = testClient([answer]);

        await call(client);

        expect(sent).toEqual([{ ...expected, headers: expect.any(Object) }]);
        const headers = sent[0]?.headers ?? {};
        expect(headers.Authorization).toBe('Bearer token-1');
        expect(headers['Content-Type']).toBe(expected.body === undefined ? undefined : 'application/json');
      },
    );

    it('asks getToken before every request, and waits for a token that is a promise', async () => {
      let tokens = 0;
      const { client, sent } = testClient([ok(session()), ok(session())], {
        getToken: async () => `refreshed-${++tokens}`,
      });

      await client.getSession(USER);
      await client.getSession(USER);

      expect(sent.map((request) => request.headers.Authorization)).toEqual([
        'Bearer refreshed-1',
        'Bearer refreshed-2',
      ]);
    });

    it('uses the global fetch when given none', async () => {
      const fetch = vi.fn(async () => new Response(JSON.stringify(session()), { status: 200 }));
      vi.stubGlobal('fetch', fetch);

      const client = new SessionHttpClient({ baseUrl: BASE, getToken: () => 't' });

      expect(await client.getSession(USER)).toEqual(session());
      expect(fetch).toHaveBeenCalledWith(URL_OF_USER, {
        method: 'GET',
        headers: { Authorization: 'Bearer t' },
      });
    });
  });

  describe('idempotency keys', () => {
    it('makes a new key for every write, and sends none with a read', async () => {
      const { client, sent } = testClient([
        ok(session(), 201),
        ok(session()),
        ok(session()),
        ok(session()),
        { status: 204 },
      ]);

      await client.createOrGet(USER);
      await client.getSession(USER);
      await client.update(USER, { step: 'a' });
      await client.clear(USER);
      await client.delete(USER);

      const keys = sent.map((request) => request.headers['Idempotency-Key']);
      expect(keys[1]).toBeUndefined();
      const writes = keys.filter((key) => key !== undefined);
      expect(writes).toHaveLength(4);
      for (const key of writes) expect(key).toMatch(UUID);
      expect(new Set(writes).size).toBe(4);
    });

    it('sends the caller’s key as given', async () => {
      const { client, sent } = testClient([ok(session(), 201), ok(session())]);

      await client.createOrGet(USER, undefined, { idempotencyKey: 'click-1' });
      await client.update(USER, { step: 'a' }, { idempotencyKey: 'click-2' });

      expect(sent.map((request) => request.headers['Idempotency-Key'])).toEqual(['click-1', 'click-2']);
    });

    it('sends one key on every attempt of one mutate, and another key for the next mutate', async () => {
      const { client, sent } = testClient([
        ok(session({ version: 1 })),
        failure(412, 'VERSION_CONFLICT'),
        ok(session({ version: 2 })),
        ok(session({ version: 3 })),
        ok(session({ version: 3 })),
        ok(session({ version: 4 })),
      ]);

      await client.mutate(USER, () => ({ step: 'a' }));
      await client.mutate(USER, () => ({ step: 'b' }));

      const [first, second, third] = sent
        .filter((request) => request.method === 'PATCH')
        .map((request) => request.headers['Idempotency-Key']);
      expect(first).toMatch(UUID);
      expect(second).toBe(first);
      expect(third).not.toBe(first);
    });
  });

  describe('conditions', () => {
    it('sends the entity tag the API sent with a session held, as it was sent', async () => {
      const held = session({ version: 3 });
      const { client, sent } = testClient([
        { status: 200, body: held, headers: { ETag: '"opaque-tag"' } },
        ok(session({ version: 4 })),
      ]);

      const read = (await client.getSession(USER)) as Session;
      await client.update(read, { step: 'a' });

      expect(sent[1]?.headers['If-Match']).toBe('"opaque-tag"');
    });

    it('sends the service’s tag for a session it did not send, and for both condition fields', async () => {
      const { client, sent } = testClient([ok(session()), ok(session()), { status: 204 }]);
      const stored = session({ version: 9 });

      await client.update({ userId: USER, sessionId: SESSION_ID, version: 9 }, { step: 'a' });
      await client.clear(USER, { expectedVersion: 9, expectedSessionId: SESSION_ID });
      await client.delete(USER);

      expect(sent.map((request) => request.headers['If-Match'])).toEqual([
        entityTag(stored),
        entityTag(stored),
        undefined,
      ]);
    });

    it.each([
      ['expectedVersion', { expectedVersion: 2 }, 'expectedSessionId'],
      ['expectedSessionId', { expectedSessionId: SESSION_ID }, 'expectedVersion'],
    ])(
      'refuses %s alone, which no entity tag can say, before any request',
      async (_name, options, missing) => {
        const { client, sent } = testClient([]);

        const result = client.update(
          USER,
          { step: 'a' },
          options as { expectedVersion: number; expectedSessionId: string },
        );

        await expect(result).rejects.toBeInstanceOf(ValidationError);
        await expect(result).rejects.toMatchObject({ details: [{ path: missing }] });
        expect(sent).toEqual([]);
      },
    );

    it('ifMatchOf gives no tag without a condition', () => {
      expect(ifMatchOf({ condition: {} })).toBeUndefined();
    });

    it('refuses a patch that carries a field the client sets itself, before any request', async () => {
      const { client, sent } = testClient([]);

      const result = client.update(USER, { step: 'a', userId: 'wa:other' } as Patch);

      await expect(result).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'patch.userId', message: 'may not be set in a patch' }],
      });
      expect(sent).toEqual([]);
    });
  });

  describe('results', () => {
    it('createOrGet reports created from 201 and replayed from Idempotent-Replayed', async () => {
      const { client } = testClient([
        ok(session(), 201),
        ok(session(), 201, { 'Idempotent-Replayed': 'true' }),
        ok(session(), 200),
      ]);

      expect(await client.createOrGet(USER)).toEqual({ session: session(), created: true, replayed: false });
      expect(await client.createOrGet(USER)).toEqual({ session: session(), created: true, replayed: true });
      expect(await client.createOrGet(USER)).toEqual({ session: session(), created: false, replayed: false });
    });

    it('marks a replayed update, and getSession answers undefined for 404', async () => {
      const { client } = testClient([
        ok(session({ version: 2 }), 200, { 'Idempotent-Replayed': 'true' }),
        ok(session({ version: 2 })),
        failure(404, 'NOT_FOUND'),
      ]);

      const replayed = await client.update(USER, { step: 'a' }, { idempotencyKey: 'k' });
      const fresh = await client.update(USER, { step: 'a' });

      expect([wasReplayed(replayed), wasReplayed(fresh)]).toEqual([true, false]);
      expect(await client.getSession(USER)).toBeUndefined();
    });

    it('delete answers true for 204, false for 404, and throws a conflict', async () => {
      const { client } = testClient([
        { status: 204, headers: { 'Idempotent-Replayed': 'true' } },
        failure(404, 'NOT_FOUND'),
        failure(412, 'VERSION_CONFLICT'),
      ]);

      expect(await client.delete(USER)).toBe(true);
      expect(await client.delete(USER)).toBe(false);
      await expect(
        client.delete(USER, { expectedVersion: 1, expectedSessionId: SESSION_ID }),
      ).rejects.toBeInstanceOf(VersionConflictError);
    });

    it('turns the error envelope into its typed error, with code, message and details', async () => {
      const details = [{ path: 'booking.partySize', message: 'must be from 1 to 50' }];
      const { client } = testClient([failure(400, 'VALIDATION_FAILED', details)]);

      const result = client.update(USER, { booking: { partySize: 51 } });

      await expect(result).rejects.toBeInstanceOf(ValidationError);
      await expect(result).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: 'VALIDATION_FAILED happened',
        details,
      });
    });

    it.each<[string, Scripted, string]>([
      ['the authorizer’s 401', { status: 401, body: { message: 'Unauthorized' } }, 'UNAUTHORIZED'],
      ['a status without a body', { status: 500 }, 'INTERNAL'],
      ['a body that is not JSON', { status: 418, raw: '<html>teapot</html>' }, 'INTERNAL'],
      ['a 200 without a session', { status: 200 }, 'INTERNAL'],
    ])('turns %s into its code', async (_name, answer, code) => {
      const { client } = testClient([answer]);

      await expect(client.clear(USER)).rejects.toMatchObject({ code });
    });

    it('keeps the gateway’s message', async () => {
      const { client } = testClient([{ status: 401, body: { message: 'Unauthorized' } }]);

      const result = client.getSession(USER);
      await expect(result).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(result).rejects.toMatchObject({ message: 'Unauthorized' });
    });
  });

  describe('resending', () => {
    it.each<[string, Scripted]>([
      ['503 UNAVAILABLE', failure(503, 'UNAVAILABLE')],
      ['API Gateway’s 429', { status: 429, body: { message: 'Too Many Requests' } }],
      ['a 504 from the gateway', { status: 504, body: { message: 'Service Unavailable' } }],
      ['a dropped connection', new TypeError('fetch failed')],
    ])('resends a keyed write after %s, with the same key and a fresh token', async (_name, first) => {
      const { client, sent, sleeps } = testClient([first, ok(session({ version: 2 }))]);

      const updated = await client.update(USER, { step: 'a' });

      expect(updated.version).toBe(2);
      expect(sent).toHaveLength(2);
      expect(sent[1]?.headers['Idempotency-Key']).toBe(sent[0]?.headers['Idempotency-Key']);
      expect(sent.map((request) => request.headers.Authorization)).toEqual([
        'Bearer token-1',
        'Bearer token-2',
      ]);
      // The first window is 100 ms; random() = 0.5 waits half of it.
      expect(sleeps).toEqual([50]);
    });

    it('resends a read', async () => {
      const { client, sent } = testClient([new TypeError('fetch failed'), ok(session())]);

      expect(await client.getSession(USER)).toEqual(session());
      expect(sent).toHaveLength(2);
    });

    it('gives up after 3 attempts, with windows that double, as UnavailableError', async () => {
      const { client, sent, sleeps } = testClient(Array(3).fill(failure(503, 'UNAVAILABLE')));

      await expect(client.clear(USER)).rejects.toBeInstanceOf(UnavailableError);
      expect(sent).toHaveLength(3);
      expect(sleeps).toEqual([50, 100]);
    });

    it('throws UnavailableError with the network failure as its cause when no answer ever came', async () => {
      const dropped = new TypeError('fetch failed');
      const { client } = testClient([dropped, dropped], { resend: { attempts: 2 } });

      const result = client.update(USER, { step: 'a' });

      await expect(result).rejects.toBeInstanceOf(UnavailableError);
      await expect(result).rejects.toMatchObject({ code: 'UNAVAILABLE', cause: dropped });
    });

    it('does not resend other failures', async () => {
      const { client, sent } = testClient([failure(412, 'VERSION_CONFLICT')]);

      await expect(
        client.update(USER, { step: 'a' }, { expectedVersion: 1, expectedSessionId: SESSION_ID }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect(sent).toHaveLength(1);
    });

    it.each([
      ['a read', { operation: 'getSession' as const }, true],
      ['a keyed write', { operation: 'update' as const, idempotencyKey: 'k' }, true],
      ['an unkeyed write', { operation: 'update' as const }, false],
    ])('mayResend: %s, %s', (_name, call, expected) => {
      expect(mayResend(call)).toBe(expected);
    });
  });

  describe('mutate', () => {
    it('retries a 412 with a fresh read and the new tag, with the jittered backoff of SessionClient', async () => {
      const { client, sent, sleeps } = testClient([
        ok(session({ version: 1 })),
        failure(412, 'VERSION_CONFLICT'),
        ok(session({ version: 2, context: { n: 1 } })),
        ok(session({ version: 3 })),
      ]);
      const fn = vi.fn((current: Session) => ({ context: { n: Number(current.context.n ?? 0) + 1 } }));

      const result = await client.mutate(USER, fn);

      expect(result).toEqual({ session: session({ version: 3 }), replayed: false, attempts: 2 });
      expect(sent.map((request) => [request.method, request.headers['If-Match']])).toEqual([
        ['GET', undefined],
        ['PATCH', entityTag(session({ version: 1 }))],
        ['GET', undefined],
        ['PATCH', entityTag(session({ version: 2 }))],
      ]);
      expect(sent[3]?.body).toEqual({ context: { n: 2 } });
      // The attempt took 10 ms on the test clock: max(50, 4 × 10) = 50 ms, halved by random() = 0.5.
      expect(sleeps).toEqual([25]);
    });

    it('treats IDEMPOTENCY_KEY_REUSED by its own earlier update as applied: the session read again, replayed', async () => {
      const { client } = testClient([
        ok(session({ version: 5 })),
        failure(422, 'IDEMPOTENCY_KEY_REUSED', [keyUsedBy('update')]),
        ok(session({ version: 6 })),
      ]);

      const result = await client.mutate(USER, () => ({ step: 'a' }), { idempotencyKey: 'click-1' });

      expect(result).toEqual({ session: session({ version: 6 }), replayed: true, attempts: 1 });
      expect(wasReplayed(result.session)).toBe(true);
    });

    it('passes on IDEMPOTENCY_KEY_REUSED by another operation', async () => {
      const { client } = testClient([
        ok(session({ version: 5 })),
        failure(422, 'IDEMPOTENCY_KEY_REUSED', [keyUsedBy('createOrGet')]),
      ]);

      await expect(
        client.mutate(USER, () => ({ step: 'a' }), { idempotencyKey: 'click-1' }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    });

    it('throws NotFoundError and writes nothing when there is no session', async () => {
      const { client, sent } = testClient([failure(404, 'NOT_FOUND')]);

      await expect(client.mutate(USER, () => ({ step: 'a' }))).rejects.toBeInstanceOf(NotFoundError);
      expect(sent).toHaveLength(1);
    });
  });
});

describe('SessionHttpClient erase', () => {
  it('posts to the erase route with a key of its own, and resends under that key after a 503', async () => {
    const { client, sent } = testClient([failure(503, 'UNAVAILABLE'), { status: 204 }]);

    await client.erase(USER);

    expect(sent.map((request) => [request.method, request.url])).toEqual([
      ['POST', `${BASE}/sessions/${encodeURIComponent(USER)}/erase`],
      ['POST', `${BASE}/sessions/${encodeURIComponent(USER)}/erase`],
    ]);
    const keys = sent.map((request) => request.headers['Idempotency-Key']);
    expect(keys[0]).toBeDefined();
    expect(keys[1]).toBe(keys[0]);
  });
});
