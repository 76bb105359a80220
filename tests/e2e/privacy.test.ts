/**
 * Erase and export through the local stack: the route and the functions as serverless.yml declares
 * them, over real HTTP and the Lambda Invoke API.
 */
import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api } from '../support/stack-http.ts';

const ERASE_ROUTE = '/sessions/{userId}/erase';
const lambda = new LambdaClient({
  endpoint: inject('lambdaEndpoint'),
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const newUser = () => `wa:+44${randomUUID().replaceAll('-', '').slice(0, 10)}`;
afterAll(() => lambda.destroy());

const erase = (userId: string) =>
  api('POST', userId, { path: `/sessions/${encodeURIComponent(userId)}/erase`, route: ERASE_ROUTE });

async function invoke(fn: string, payload: unknown): Promise<Record<string, unknown>> {
  const response = await lambda.send(
    new InvokeCommand({
      FunctionName: `session-service-dev-${fn}`,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  return JSON.parse(new TextDecoder().decode(response.Payload));
}

describe('POST /sessions/{userId}/erase', () => {
  it('erases with 204, again with 204, and GET answers 404', async () => {
    const userId = newUser();
    await api('PUT', userId);
    await api('PATCH', userId, { body: { booking: { name: 'Ada Lovelace' } } });

    expect((await erase(userId)).status).toBe(204);
    expect((await erase(userId)).status).toBe(204);
    expect((await api('GET', userId)).status).toBe(404);
    expect((await api('PATCH', userId, { body: { step: 'a' } })).status).toBe(404);
  });
});

describe('erase and exportUser by invocation', () => {
  it('exports the session, erases it, and exports nothing after', async () => {
    const userId = newUser();
    await invoke('createOrGet', { userId });

    expect(await invoke('exportUser', { userId })).toMatchObject({
      ok: true,
      export: { userId, session: { userId, source: 'Chatbot', live: true }, tombstone: null },
    });
    expect(await invoke('erase', { userId })).toEqual({ ok: true });
    expect(await invoke('exportUser', { userId })).toEqual({
      ok: true,
      export: { userId, session: null, tombstone: null, rememberedWriteIds: { keyed: 0, unkeyed: 0 } },
    });
  });
});
