import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHandler, TIMEOUT_EARLY_MS } from '../../../lib/handlers/session-handler.ts';
import { createDocumentClient } from '../../../lib/store/dynamodb.ts';
import { SessionRepository } from '../../../lib/store/session-repository.ts';
import { startBlackHole } from '../../support/black-hole.ts';
import { httpEvent, lambdaContext } from '../../support/lambda-events.ts';

describe('sessionHandler', () => {
  // A DynamoDB that accepts connections and never answers: the case where only a deadline helps.
  let blackHole: Awaited<ReturnType<typeof startBlackHole>>;
  let sessions: SessionRepository;
  beforeAll(async () => {
    blackHole = await startBlackHole();
    const { port } = blackHole;
    sessions = new SessionRepository(createDocumentClient({ endpoint: `http://127.0.0.1:${port}` }), {
      tableName: 'unreachable',
      inactiveDays: 30,
    });
  });
  afterAll(() => blackHole.close());

  const handler = () =>
    sessionHandler(
      {
        name: 'getSession',
        fromHttp: ({ userId }) => userId,
        fromInvoke: (payload) => (payload as { userId: string }).userId,
        run: (userId, repository) => repository.get(userId),
        toHttp: () => ({ status: 200 }),
        toInvoke: () => ({ ok: true }),
      },
      { repository: sessions },
    );

  it('answers 503 UNAVAILABLE just before the Lambda deadline instead of timing out', async () => {
    const remainingMs = 1_500;

    const response = await handler()(httpEvent('GET', 'user-1'), lambdaContext(remainingMs));

    expect(response).toMatchObject({ statusCode: 503 });
    expect(JSON.parse((response as { body: string }).body)).toEqual({
      error: {
        code: 'UNAVAILABLE',
        message: 'the service is temporarily unavailable; try again shortly',
        details: [],
      },
    });
    expect(TIMEOUT_EARLY_MS).toBeLessThan(remainingMs);
  });

  it('answers a direct invocation with an UNAVAILABLE envelope, not a thrown error', async () => {
    const response = await handler()({ userId: 'user-1' }, lambdaContext(1_000));
    expect(response).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });
});
