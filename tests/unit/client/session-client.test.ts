/**
 * The chatbot client without a Lambda: aws-sdk-client-mock answers each Invoke, so the tests see every
 * payload the client sends and can produce what the local stack cannot (a FunctionError, throttling).
 */
import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  InternalError,
  keyUsedBy,
  NotFoundError,
  type Patch,
  PayloadTooLargeError,
  type Session,
  SessionClient,
  type SessionClientOptions,
  SessionTooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
  VersionConflictError,
  wasReplayed,
} from '../../../lib/client/index.ts';

const lambda = mockClient(LambdaClient);
afterAll(() => lambda.restore());

const USER = 'wa:+447700900123';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function session(overrides: Partial<Session> = {}): Session {
  return {
    userId: USER,
    sessionId: '6f1c2a64-1d5b-4c1e-9a39-2f7d3c0e8b11',
    source: 'Chatbot',
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

const encode = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value)) as InvokeCommandOutput['Payload'];
const answer = (body: unknown): Partial<InvokeCommandOutput> => ({ StatusCode: 200, Payload: encode(body) });
const failure = (code: string, message = `${code} happened`, details: unknown[] = []) =>
  answer({ ok: false, error: { code, message, details } });

/** Every Invoke sent so far, as the function name and the decoded payload. */
function invocations(): { functionName: string | undefined; payload: Record<string, unknown> }[] {
  return lambda.commandCalls(InvokeCommand).map((call) => ({
    functionName: call.args[0].input.FunctionName,
    payload: JSON.parse(new TextDecoder().decode(call.args[0].input.Payload as Uint8Array)),
  }));
}

/** A client whose waits are recorded instead of slept, with a fixed random and a clock the test moves. */
function testClient(options: SessionClientOptions = {}) {
  const sleeps: number[] = [];
  const clock = { time: 0, step: 10 };
  const client = new SessionClient({
    lambda: new LambdaClient({ region: 'us-east-1' }),
    stage: 'test',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => {
      clock.time += clock.step;
      return clock.time;
    },
    ...options,
  });
  return { client, sleeps, clock };
}

beforeEach(() => {
  lambda.reset();
});

describe('SessionClient', () => {
  describe('function names', () => {
    it('derives <service>-<stage>-<function>, defaulting to session-service and dev', async () => {
      lambda.on(InvokeCommand).resolves(answer({ ok: true, session: session() }));

      await new SessionClient().getSession(USER);
      await new SessionClient({ service: 'sessions', stage: 'prod' }).getSession(USER);
      await new SessionClient({
        functionNames: { getSession: 'arn:aws:lambda:eu-west-1:1:function:x' },
      }).getSession(USER);

      expect(invocations().map((call) => call.functionName)).toEqual([
        'session-service-dev-getSession',
        'sessions-prod-getSession',
        'arn:aws:lambda:eu-west-1:1:function:x',
      ]);
    });
  });

  describe('payloads', () => {
    const stored = session({ version: 7, sessionId: 'a1b2' });
    const patch: Patch = {
      step: 'pick_time',
      booking: { date: '2026-12-03', time: null },
      context: { n: 1 },
    };

    it.each<[string, (client: SessionClient) => Promise<unknown>, string, Record<string, unknown>]>([
      ['createOrGet', (c) => c.createOrGet(USER), 'createOrGet', { userId: USER }],
      [
        'createOrGet with source and key',
        (c) => c.createOrGet(USER, 'Website', { idempotencyKey: 'wamid.1' }),
        'createOrGet',
        { source: 'Website', userId: USER, idempotencyKey: 'wamid.1' },
      ],
      ['getSession', (c) => c.getSession(USER), 'getSession', { userId: USER }],
      ['update', (c) => c.update(USER, patch), 'update', { ...patch, userId: USER }],
      [
        'update with every option',
        (c) =>
          c.update(USER, patch, { expectedVersion: 3, expectedSessionId: 's-3', idempotencyKey: 'wamid.2' }),
        'update',
        { ...patch, userId: USER, expectedVersion: 3, expectedSessionId: 's-3', idempotencyKey: 'wamid.2' },
      ],
      [
        'update of a session held',
        (c) => c.update(stored, patch, { idempotencyKey: 'wamid.3' }),
        'update',
        { ...patch, userId: USER, expectedVersion: 7, expectedSessionId: 'a1b2', idempotencyKey: 'wamid.3' },
      ],
      ['clear', (c) => c.clear(USER), 'clear', { userId: USER }],
      [
        'clear with a version and key',
        (c) => c.clear(USER, { expectedVersion: 2, idempotencyKey: 'k' }),
        'clear',
        { userId: USER, expectedVersion: 2, idempotencyKey: 'k' },
      ],
      [
        'clear of a session held',
        (c) => c.clear(stored),
        'clear',
        { userId: USER, expectedVersion: 7, expectedSessionId: 'a1b2' },
      ],
      ['delete', (c) => c.delete(USER), 'delete', { userId: USER }],
      [
        'delete with a session id',
        (c) => c.delete(USER, { expectedSessionId: 'a1b2' }),
        'delete',
        { userId: USER, expectedSessionId: 'a1b2' },
      ],
      [
        'delete of a session held, with a key',
        (c) => c.delete(stored, { idempotencyKey: 'k' }),
        'delete',
        { userId: USER, expectedVersion: 7, expectedSessionId: 'a1b2', idempotencyKey: 'k' },
      ],
    ])('%s sends exactly its fields', async (_name, call, functionName, payload) => {
      lambda.on(InvokeCommand).resolves(answer({ ok: true, session: session(), deleted: true }));

      await call(testClient().client);

      // Every write also names its call, so that the Lambda SDK's resend of it applies once.
      const callId = functionName === 'getSession' ? {} : { callId: expect.stringMatching(UUID) };
      expect(invocations()).toEqual([
        { functionName: `session-service-test-${functionName}`, payload: { ...payload, ...callId } },
      ]);
    });

    it('names each write call anew: two calls, two callIds', async () => {
      lambda.on(InvokeCommand).resolves(answer({ ok: true, session: session() }));
      const { client } = testClient();

      await client.update(USER, { step: 'a' });
      await client.update(USER, { step: 'a' });

      const [first, second] = invocations().map((call) => call.payload.callId);
      expect(first).toMatch(UUID);
      expect(second).toMatch(UUID);
      expect(first).not.toBe(second);
    });

    it('places its own fields after the patch', async () => {
      lambda.on(InvokeCommand).resolves(answer({ ok: true, session: session() }));

      await testClient().client.update(stored, { context: { a: 1 }, step: 'x' }, { idempotencyKey: 'k' });

      expect(Object.keys(invocations()[0]?.payload ?? {})).toEqual([
        'context',
        'step',
        'userId',
        'expectedVersion',
        'expectedSessionId',
        'idempotencyKey',
        'callId',
      ]);
    });

    it('sends only the options it knows, whatever else the options object carries', async () => {
      lambda.on(InvokeCommand).resolves(answer({ ok: true, session: session() }));
      const options = { expectedVersion: 2, step: 'injected', userId: 'wa:other' } as unknown as {
        expectedVersion: number;
      };

      await testClient().client.update(USER, { step: 'mine' }, options);

      expect(invocations()[0]?.payload).toEqual({
        step: 'mine',
        userId: USER,
        expectedVersion: 2,
        callId: expect.stringMatching(UUID),
      });
    });
  });

  describe('a patch cannot redirect a call', () => {
    const fields = ['userId', 'expectedVersion', 'expectedSessionId', 'idempotencyKey', 'callId'];

    it.each(fields)('update refuses a patch carrying %s, before any invocation', async (field) => {
      const patch = { step: 'a', [field]: field === 'expectedVersion' ? 9 : 'wa:+440000000000' } as Patch;

      const result = testClient().client.update(USER, patch);

      await expect(result).rejects.toBeInstanceOf(ValidationError);
      await expect(result).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: `patch.${field}`, message: 'may not be set in a patch' }],
      });
      expect(invocations()).toEqual([]);
    });

    it.each(fields)('mutate refuses a patch carrying %s, before the update', async (field) => {
      lambda.on(InvokeCommand).resolves(answer({ ok: true, session: session() }));

      const result = testClient().client.mutate(USER, () => ({ step: 'a', [field]: undefined }) as Patch);

      await expect(result).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(invocations().map((call) => call.functionName)).toEqual(['session-service-test-getSession']);
    });

    it('lists every client field a patch carries', async () => {
      const patch = { userId: 'wa:other', idempotencyKey: 'k', step: 'a' } as Patch;

      await expect(testClient().client.update(USER, patch)).rejects.toMatchObject({
        message: 'patch.userId may not be set in a patch',
        details: [
          { path: 'patch.userId', message: 'may not be set in a patch' },
          { path: 'patch.idempotencyKey', message: 'may not be set in a patch' },
        ],
      });
    });

    it.each([null, [], 'step'])('refuses a patch that is not an object (%j)', async (patch) => {
      await expect(testClient().client.update(USER, patch as unknown as Patch)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'patch', message: 'must be an object' }],
      });
      expect(invocations()).toEqual([]);
    });
  });

  describe('results', () => {
    it('createOrGet reports created and replayed', async () => {
      const created = session();
      lambda
        .on(InvokeCommand)
        .resolvesOnce(answer({ ok: true, session: created, created: true }))
        .resolvesOnce(answer({ ok: true, session: created, created: true, replayed: true }))
        .resolvesOnce(answer({ ok: true, session: created }));
      const { client } = testClient();

      expect(await client.createOrGet(USER)).toEqual({ session: created, created: true, replayed: false });
      expect(await client.createOrGet(USER)).toEqual({ session: created, created: true, replayed: true });
      expect(await client.createOrGet(USER)).toEqual({ session: created, created: false, replayed: false });
    });

    it('getSession answers undefined when there is no session, and rethrows anything else', async () => {
      lambda
        .on(InvokeCommand)
        .resolvesOnce(answer({ ok: true, session: session() }))
        .resolvesOnce(failure('NOT_FOUND'))
        .resolvesOnce(failure('UNAVAILABLE'));
      const { client } = testClient();

      expect(await client.getSession(USER)).toEqual(session());
      expect(await client.getSession(USER)).toBeUndefined();
      await expect(client.getSession(USER)).rejects.toBeInstanceOf(UnavailableError);
    });

    it('update and clear return the session, and wasReplayed tells a replay', async () => {
      const stored = session({ version: 2 });
      lambda
        .on(InvokeCommand)
        .resolvesOnce(answer({ ok: true, session: stored }))
        .resolvesOnce(answer({ ok: true, session: stored, replayed: true }))
        .resolvesOnce(answer({ ok: true, session: stored, replayed: true }));
      const { client } = testClient();

      const first = await client.update(USER, { step: 'a' }, { idempotencyKey: 'k' });
      const again = await client.update(USER, { step: 'a' }, { idempotencyKey: 'k' });
      const cleared = await client.clear(USER, { idempotencyKey: 'c' });

      expect(first).toEqual(stored);
      expect(again).toEqual(stored);
      expect([wasReplayed(first), wasReplayed(again), wasReplayed(cleared)]).toEqual([false, true, true]);
      expect(wasReplayed(session())).toBe(false);
    });

    it('delete answers true, false when there was none, and rethrows a conflict', async () => {
      lambda
        .on(InvokeCommand)
        .resolvesOnce(answer({ ok: true, deleted: true }))
        .resolvesOnce(answer({ ok: true, deleted: true, replayed: true }))
        .resolvesOnce(failure('NOT_FOUND'))
        .resolvesOnce(failure('VERSION_CONFLICT'));
      const { client } = testClient();

      expect(await client.delete(USER)).toBe(true);
      expect(await client.delete(USER, { idempotencyKey: 'k' })).toBe(true);
      expect(await client.delete(USER)).toBe(false);
      await expect(client.delete(USER, { expectedVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
    });
  });

  describe('failures', () => {
    it.each([
      ['VALIDATION_FAILED', ValidationError],
      ['UNAUTHORIZED', UnauthorizedError],
      ['FORBIDDEN', ForbiddenError],
      ['NOT_FOUND', NotFoundError],
      ['VERSION_CONFLICT', VersionConflictError],
      ['SESSION_TOO_LARGE', SessionTooLargeError],
      ['IDEMPOTENCY_KEY_REUSED', IdempotencyKeyReusedError],
      ['PAYLOAD_TOO_LARGE', PayloadTooLargeError],
      ['UNSUPPORTED_MEDIA_TYPE', UnsupportedMediaTypeError],
      ['UNAVAILABLE', UnavailableError],
      ['INTERNAL', InternalError],
    ])('an envelope with %s becomes its typed error, with message and details', async (code, ErrorClass) => {
      const details = [{ path: 'booking.partySize', message: 'must be from 1 to 50' }];
      lambda.on(InvokeCommand).resolves(failure(code, 'it went wrong', details));

      const result = testClient().client.update(USER, { step: 'a' });

      await expect(result).rejects.toBeInstanceOf(ErrorClass);
      await expect(result).rejects.toMatchObject({ code, message: 'it went wrong', details });
    });

    it.each([
      ['an unknown code', { ok: false, error: { code: 'SOMETHING_NEW', message: 'new' } }],
      ['no error at all', { ok: false }],
      ['no ok', { session: session() }],
    ])('an envelope with %s becomes INTERNAL', async (_name, body) => {
      lambda.on(InvokeCommand).resolves(answer(body));

      await expect(testClient().client.clear(USER)).rejects.toMatchObject({ code: 'INTERNAL' });
    });

    it('a Lambda FunctionError (a crash or a timeout) becomes INTERNAL', async () => {
      lambda.on(InvokeCommand).resolves({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: encode({ errorType: 'Error', errorMessage: 'boom' }),
      });

      const result = testClient().client.update(USER, { step: 'a' });

      await expect(result).rejects.toBeInstanceOf(InternalError);
      await expect(result).rejects.toMatchObject({
        code: 'INTERNAL',
        message: 'session-service-test-update failed (Unhandled)',
      });
    });

    it.each([
      ['no payload', undefined],
      ['a payload that is not JSON', new TextEncoder().encode('<html>') as InvokeCommandOutput['Payload']],
      ['a JSON array', encode([])],
      ['JSON null', encode(null)],
    ])('an answer with %s becomes INTERNAL', async (_name, Payload) => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload });

      await expect(testClient().client.getSession(USER)).rejects.toMatchObject({
        code: 'INTERNAL',
        message: 'session-service-test-getSession answered something other than an envelope',
      });
    });

    it('a throttled Invoke (after the SDK retries) becomes UNAVAILABLE, keeping the cause', async () => {
      const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
      lambda.on(InvokeCommand).rejects(throttled);

      const result = testClient().client.update(USER, { step: 'a' });

      await expect(result).rejects.toBeInstanceOf(UnavailableError);
      await expect(result).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: 'session-service-test-update is throttled; retry later',
        cause: throttled,
      });
    });

    it('any other SDK error is rethrown untouched', async () => {
      const missing = new ResourceNotFoundException({ message: 'Function not found', $metadata: {} });
      lambda.on(InvokeCommand).rejects(missing);

      await expect(testClient().client.delete(USER)).rejects.toBe(missing);
    });
  });

  describe('mutate', () => {
    const conflict = failure('VERSION_CONFLICT', 'the session has another version');
    const read = (version: number) =>
      answer({ ok: true, session: session({ version, context: { v: version } }) });
    const written = (version: number) => answer({ ok: true, session: session({ version }) });

    /** Routes getSession and update to their own answer sequences. */
    function serve(reads: Partial<InvokeCommandOutput>[], updates: Partial<InvokeCommandOutput>[]) {
      const queues = { getSession: [...reads], update: [...updates] };
      lambda.on(InvokeCommand).callsFake((input: { FunctionName: string }) => {
        const name = input.FunctionName.endsWith('getSession') ? 'getSession' : 'update';
        const next = queues[name].shift();
        if (!next) throw new Error(`no answer left for ${name}`);
        return next;
      });
    }

    it('reads, asks fn for a patch and updates on the version and sessionId it read', async () => {
      serve([read(4)], [written(5)]);
      const fn = vi.fn((current: Session) => ({ context: { seen: current.version } }));
      const { client, sleeps } = testClient();

      const result = await client.mutate(USER, fn, { idempotencyKey: 'wamid.9' });

      expect(result).toEqual({ session: session({ version: 5 }), replayed: false, attempts: 1 });
      expect(fn).toHaveBeenCalledWith(session({ version: 4, context: { v: 4 } }));
      expect(invocations().map((call) => call.payload)).toEqual([
        { userId: USER },
        {
          context: { seen: 4 },
          userId: USER,
          expectedVersion: 4,
          expectedSessionId: session().sessionId,
          idempotencyKey: 'wamid.9',
          callId: expect.stringMatching(UUID),
        },
      ]);
      expect(sleeps).toEqual([]);
    });

    it('re-reads and retries on VERSION_CONFLICT, with a jittered backoff that grows', async () => {
      serve([read(1), read(2), read(3)], [conflict, conflict, written(4)]);
      const fn = vi.fn(async (current: Session) => ({ context: { after: current.version } }));
      const { client, sleeps } = testClient();

      const result = await client.mutate(USER, fn, { idempotencyKey: 'k' });

      expect(result).toMatchObject({ session: { version: 4 }, replayed: false, attempts: 3 });
      expect(fn.mock.calls.map(([current]) => current.version)).toEqual([1, 2, 3]);
      const updates = invocations().filter((call) => call.functionName?.endsWith('update'));
      expect(updates.map((call) => call.payload)).toEqual(
        [1, 2, 3].map((version) => ({
          context: { after: version },
          userId: USER,
          expectedVersion: version,
          expectedSessionId: session().sessionId,
          idempotencyKey: 'k',
          callId: expect.stringMatching(UUID),
        })),
      );
      // Each attempt is a call of its own (a new request, with a new version).
      expect(new Set(updates.map((call) => call.payload.callId)).size).toBe(3);
      // Each attempt takes 10 ms on the test clock: the window is max(50, 4 × 10) doubled per attempt,
      // and random() = 0.5 puts the wait in its middle.
      expect(sleeps).toEqual([25, 50]);
    });

    it('scales the window with how long an attempt took, up to maxDelayMs', async () => {
      serve([1, 2, 3, 4, 5].map(read), [conflict, conflict, conflict, conflict, written(6)]);
      const { client, sleeps, clock } = testClient();
      clock.step = 100;

      await client.mutate(USER, () => ({ step: 'a' }));

      // 4 × 100 ms = 400, then 800, 1600, and 3200 capped at 2000; halved by random() = 0.5.
      expect(sleeps).toEqual([200, 400, 800, 1000]);
    });

    it('gives up after 5 attempts with VersionConflictError', async () => {
      serve([1, 2, 3, 4, 5].map(read), Array(5).fill(conflict));
      const { client, sleeps } = testClient();

      const result = client.mutate(USER, () => ({ step: 'a' }));

      await expect(result).rejects.toBeInstanceOf(VersionConflictError);
      await expect(result).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
        message: 'the session kept changing: gave up after 5 attempts',
      });
      expect(invocations().map((call) => call.functionName?.replace('session-service-test-', ''))).toEqual(
        Array(5).fill(['getSession', 'update']).flat(),
      );
      expect(sleeps).toHaveLength(4);
    });

    it('takes attempts and delays from the call, then from the client', async () => {
      serve([1, 2, 3, 4].map(read), Array(4).fill(conflict));
      const { client, sleeps } = testClient({
        retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: undefined },
      });

      await expect(client.mutate(USER, () => ({ step: 'a' }))).rejects.toMatchObject({
        message: 'the session kept changing: gave up after 3 attempts',
      });
      await expect(
        client.mutate(USER, () => ({ step: 'a' }), { attempts: 1, baseDelayMs: 1000 }),
      ).rejects.toBeInstanceOf(VersionConflictError);

      // max(10, 4 × 10 ms) = 40, then 80; halved.
      expect(sleeps).toEqual([20, 40]);
    });

    it('throws NotFoundError and writes nothing when there is no session', async () => {
      serve([failure('NOT_FOUND')], []);
      const fn = vi.fn(() => ({ step: 'a' }));

      await expect(testClient().client.mutate(USER, fn)).rejects.toBeInstanceOf(NotFoundError);
      expect(fn).not.toHaveBeenCalled();
      expect(invocations()).toHaveLength(1);
    });

    it('does not retry other errors', async () => {
      serve([read(1)], [failure('NOT_FOUND')]);
      const { client, sleeps } = testClient();

      await expect(client.mutate(USER, () => ({ step: 'a' }))).rejects.toBeInstanceOf(NotFoundError);
      expect(sleeps).toEqual([]);
    });

    it('passes on an update answer without an error as INTERNAL', async () => {
      serve([read(1)], [answer({ ok: false })]);

      await expect(testClient().client.mutate(USER, () => ({ step: 'a' }))).rejects.toMatchObject({
        code: 'INTERNAL',
      });
    });

    it('rethrows an error of fn without writing', async () => {
      serve([read(1)], []);
      const broken = new Error('no patch');

      await expect(
        testClient().client.mutate(USER, () => {
          throw broken;
        }),
      ).rejects.toBe(broken);
      expect(invocations()).toHaveLength(1);
    });

    it('surfaces a replay the service answered', async () => {
      serve([read(5)], [answer({ ok: true, session: session({ version: 5 }), replayed: true })]);

      const result = await testClient().client.mutate(USER, () => ({ step: 'a' }), { idempotencyKey: 'k' });

      expect(result).toEqual({ session: session({ version: 5 }), replayed: true, attempts: 1 });
    });

    it('treats IDEMPOTENCY_KEY_REUSED by an earlier update as already applied: the session read again, replayed', async () => {
      // The other copy of the message wrote version 6 after this call read version 5.
      serve(
        [read(5), read(6)],
        [failure('IDEMPOTENCY_KEY_REUSED', 'the key was used for another request', [keyUsedBy('update')])],
      );

      const result = await testClient().client.mutate(USER, () => ({ step: 'a' }), { idempotencyKey: 'k' });

      expect(result).toEqual({
        session: session({ version: 6, context: { v: 6 } }),
        replayed: true,
        attempts: 1,
      });
      expect(wasReplayed(result.session)).toBe(true);
    });

    it.each([
      ['deleted', failure('NOT_FOUND', 'session not found')],
      ['replaced', answer({ ok: true, session: session({ sessionId: 'another-lifetime', version: 1 }) })],
    ])(
      'throws NotFoundError when the session was %s between the reused key and the second read',
      async (_name, secondRead) => {
        serve(
          [read(5), secondRead],
          [failure('IDEMPOTENCY_KEY_REUSED', 'the key was used for another request', [keyUsedBy('update')])],
        );

        const result = testClient().client.mutate(USER, () => ({ step: 'a' }), { idempotencyKey: 'k' });

        await expect(result).rejects.toBeInstanceOf(NotFoundError);
      },
    );

    it.each([['createOrGet'], ['clear'], ['delete'], ['an unknown operation']])(
      'passes on IDEMPOTENCY_KEY_REUSED when the key was first used by %s: its write was never made',
      async (operation) => {
        const details = operation === 'an unknown operation' ? [] : [keyUsedBy(operation)];
        serve(
          [read(5)],
          [failure('IDEMPOTENCY_KEY_REUSED', 'the key was used for another request', details)],
        );

        const result = testClient().client.mutate(USER, () => ({ step: 'a' }), { idempotencyKey: 'k' });

        await expect(result).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      },
    );

    it('without a key of its own, passes IDEMPOTENCY_KEY_REUSED on as an error', async () => {
      serve([read(5)], [failure('IDEMPOTENCY_KEY_REUSED', 'the key was used for another request')]);

      const result = testClient().client.mutate(USER, () => ({ step: 'a' }));
      await expect(result).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await expect(result).rejects.toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'the key was used for another request',
      });
    });

    it('waits on a real timer by default', async () => {
      serve([read(1), read(2)], [conflict, written(3)]);
      const client = new SessionClient({
        lambda: new LambdaClient({ region: 'us-east-1' }),
        retry: { baseDelayMs: 1, maxDelayMs: 2 },
      });

      expect(await client.mutate(USER, () => ({ step: 'a' }))).toMatchObject({ attempts: 2 });
    });
  });
});

describe('SessionClient privacy calls', () => {
  it('erase invokes the erase function with the key and a callId of its own', async () => {
    lambda.on(InvokeCommand).resolves(answer({ ok: true }));
    const { client } = testClient();

    await client.erase(USER, { idempotencyKey: 'erase-1' });

    const [call] = invocations();
    expect(call?.functionName).toBe('session-service-test-erase');
    expect(call?.payload).toMatchObject({ userId: USER, idempotencyKey: 'erase-1' });
    expect(call?.payload.callId).toMatch(UUID);
  });

  it('exportUser invokes exportUser with the userId alone and answers its document', async () => {
    const exported = {
      userId: USER,
      session: null,
      tombstone: null,
      rememberedWriteIds: { keyed: 0, unkeyed: 0 },
    };
    lambda.on(InvokeCommand).resolves(answer({ ok: true, export: exported }));
    const { client } = testClient();

    expect(await client.exportUser(USER)).toEqual(exported);
    expect(invocations()).toEqual([
      { functionName: 'session-service-test-exportUser', payload: { userId: USER } },
    ]);
  });

  it('exportUser turns a refusal into its typed error', async () => {
    lambda.on(InvokeCommand).resolves(failure('VALIDATION_FAILED'));
    const { client } = testClient();

    await expect(client.exportUser('not valid')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
