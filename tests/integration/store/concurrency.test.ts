import { describe, expect, it } from 'vitest';
import { repositoryFor, storedItem, testDocumentClient, uniqueUserId } from '../../support/dynamo.ts';

const doc = testDocumentClient();
const sessions = repositoryFor(doc);

describe('SessionRepository under concurrency', () => {
  it('leaves one session after 200 parallel createOrGet calls, all returning its sessionId', async () => {
    const userId = uniqueUserId();

    const results = await Promise.all(Array.from({ length: 200 }, () => sessions.createOrGet(userId)));

    const sessionIds = new Set(results.map((result) => result.session.sessionId));
    expect(sessionIds.size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect((await storedItem(doc, userId))?.sessionId).toBe([...sessionIds][0]);
  });

  it('lets exactly one of 50 updates with the same expectedVersion win', async () => {
    const userId = uniqueUserId();
    await sessions.createOrGet(userId);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        sessions.update(
          userId,
          { step: `step-${index}`, context: { writer: index } },
          { expectedVersion: 1 },
        ),
      ),
    );

    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers.map((outcome) => outcome.reason.code)).toEqual(Array(49).fill('VERSION_CONFLICT'));
    expect(await sessions.get(userId)).toEqual(winners[0]?.value);
  });

  it('loses no update when 30 writers patch different context keys at once', async () => {
    const userId = uniqueUserId();
    await sessions.createOrGet(userId);

    await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        sessions.update(userId, { context: { [`k${index}`]: index } }),
      ),
    );

    const session = await sessions.get(userId);
    expect(session?.version).toBe(31);
    expect(Object.keys(session?.context ?? {})).toHaveLength(30);
  });
});
