import { randomUUID } from 'node:crypto';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  NotFoundError,
  type Session,
  SessionClient,
  ValidationError,
  VersionConflictError,
} from '../../lib/client/index.ts';

const lambda = new LambdaClient({
  endpoint: inject('lambdaEndpoint'),
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const client = new SessionClient({ lambda, stage: 'dev' });
const newUser = () => `wa:+44${randomUUID().replaceAll('-', '').slice(0, 10)}`;

afterAll(() => lambda.destroy());

describe('SessionClient through the Lambda Invoke API', () => {
  it('creates a session as Chatbot by default, then returns it', async () => {
    const userId = newUser();

    const first = await client.createOrGet(userId);
    const second = await client.createOrGet(userId, 'Website');

    expect(first).toMatchObject({ created: true, session: { userId, source: 'Chatbot', version: 1 } });
    expect(second).toMatchObject({
      created: false,
      session: { sessionId: first.session.sessionId, source: 'Chatbot' },
    });
  });

  it('gets, updates, clears and deletes', async () => {
    const userId = newUser();
    await client.createOrGet(userId);

    const updated = await client.update(
      userId,
      { step: 'pick_time', booking: { date: '2026-12-03', time: '14:30' }, context: { lastIntent: 'book' } },
      { expectedVersion: 1 },
    );
    expect(updated).toMatchObject({
      version: 2,
      step: 'pick_time',
      booking: { date: '2026-12-03', time: '14:30' },
    });
    expect(await client.getSession(userId)).toEqual(updated);

    const cleared = await client.clear(userId, { expectedVersion: 2 });
    expect(cleared).toMatchObject({ version: 3, step: null, booking: {}, context: {} });

    expect(await client.delete(userId, { expectedVersion: 3 })).toBe(true);
    expect(await client.getSession(userId)).toBeUndefined();
    expect(await client.delete(userId)).toBe(false);
  });

  it('turns error codes into typed errors', async () => {
    const userId = newUser();
    await client.createOrGet(userId);
    await client.update(userId, { step: 'a' });

    await expect(client.update(userId, { step: 'b' }, { expectedVersion: 1 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    await expect(client.update(newUser(), { step: 'b' })).rejects.toBeInstanceOf(NotFoundError);
    const invalid = client.update(userId, { booking: { partySize: 51 } });
    await expect(invalid).rejects.toBeInstanceOf(ValidationError);
    await expect(invalid).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'booking.partySize', message: 'must be from 1 to 50' }],
    });
  });

  it('lands ten concurrent mutate calls, each adding its own context key', async () => {
    const userId = newUser();
    await client.createOrGet(userId);
    const keys = Array.from({ length: 10 }, (_, index) => `k${index}`);

    const results = await Promise.all(
      keys.map((key) => client.mutate(userId, (session) => ({ context: { [key]: session.version } }))),
    );

    const session = await client.getSession(userId);
    expect(Object.keys(session?.context ?? {}).sort()).toEqual(keys);
    expect(session?.version).toBe(11);
    expect(results.map((result) => result.session.version).sort((a, b) => a - b)).toEqual(
      keys.map((_, index) => index + 2),
    );
  });

  it('refuses a write on a session held after the session was replaced, even at the same version', async () => {
    const userId = newUser();
    const { session: earlier } = await client.createOrGet(userId);
    await client.delete(userId);
    const { session: later } = await client.createOrGet(userId);
    expect(later.version).toBe(earlier.version);

    await expect(client.update(earlier, { step: 'stale' })).rejects.toBeInstanceOf(VersionConflictError);
    await expect(client.clear(earlier)).rejects.toBeInstanceOf(VersionConflictError);
    await expect(client.delete(earlier)).rejects.toBeInstanceOf(VersionConflictError);

    expect(await client.getSession(userId)).toEqual(later);
  });

  it('applies a redelivered message once when mutate is given its id as the idempotency key', async () => {
    const userId = newUser();
    await client.createOrGet(userId);
    const countTurn = (session: Session) => ({ context: { turns: Number(session.context.turns ?? 0) + 1 } });

    const first = await client.mutate(userId, countTurn, { idempotencyKey: 'wamid.first' });
    const redelivered = await client.mutate(userId, countTurn, { idempotencyKey: 'wamid.first' });
    const next = await client.mutate(userId, countTurn, { idempotencyKey: 'wamid.second' });

    expect(first).toMatchObject({ replayed: false, session: { version: 2, context: { turns: 1 } } });
    expect(redelivered).toMatchObject({ replayed: true, session: { version: 2, context: { turns: 1 } } });
    expect(next).toMatchObject({ replayed: false, session: { version: 3, context: { turns: 2 } } });
  });

  it('refuses a patch that would redirect the call, and writes nothing', async () => {
    const userId = newUser();
    const { session } = await client.createOrGet(userId);
    const victim = newUser();
    await client.createOrGet(victim);

    const patch = { step: 'hijacked', userId: victim } as Parameters<typeof client.update>[1];
    await expect(client.update(session, patch)).rejects.toBeInstanceOf(ValidationError);

    expect((await client.getSession(victim))?.step).toBeNull();
    expect(await client.getSession(userId)).toEqual(session);
  });

  it('answers every failure as an envelope, never a FunctionError', async () => {
    const { InvokeCommand } = await import('@aws-sdk/client-lambda');
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: 'session-service-dev-update',
        Payload: new TextEncoder().encode(JSON.stringify({ userId: 'no such user', step: 'a' })),
      }),
    );

    expect(response.FunctionError).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(response.Payload))).toMatchObject({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: 'userId must be 1-128 characters from A-Z a-z 0-9 . _ : @ + -',
      },
    });
  });
});
