/**
 * The repository's rare paths, which real DynamoDB reaches only through races: the SDK is replaced by
 * aws-sdk-client-mock, so each answer is chosen. The common paths run against dynalite in tests/repository.
 */
import { ConditionalCheckFailedException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { activityTimes } from '../../lib/clock.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { SessionRepository } from '../../lib/session-repository.ts';
import { newSessionItem } from '../../lib/session-requests.ts';

const NOW = new Date('2026-11-26T10:00:00.000Z');
const USER = 'wa:+447700900123';
const live = newSessionItem(USER, 'live-session', 'Chatbot', activityTimes(NOW, 30, { userId: USER }));
const expired = newSessionItem(
  USER,
  'old-session',
  'Chatbot',
  activityTimes(new Date('2026-01-01T00:00:00Z'), 30, { userId: USER }),
);

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const mock = mockClient(DynamoDBDocumentClient);
afterEach(() => mock.reset());

const repository = () =>
  new SessionRepository(createDocumentClient({ endpoint: 'http://127.0.0.1:9' }), {
    tableName: 'sessions',
    inactiveDays: 30,
    clock: () => NOW,
  });

/** The code of what `promise` rejects with. */
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'none',
    (error: { code?: string; name?: string }) => error.code ?? error.name,
  );

describe('SessionRepository, rare paths', () => {
  describe('createOrGet', () => {
    it('replaces an expired item with a new session', async () => {
      mock.on(UpdateCommand).rejectsOnce(conditionFailed()).on(PutCommand).resolves({});

      const { session, created } = await repository().createOrGet(USER, 'Chatbot');

      expect(created).toBe(true);
      expect(session).toMatchObject({ userId: USER, version: 1, source: 'Chatbot', step: null });
      expect(mock.commandCalls(PutCommand)).toHaveLength(1);
    });

    it('returns the session a concurrent call revived, when the replacement loses', async () => {
      mock
        .on(UpdateCommand)
        .rejectsOnce(conditionFailed())
        .resolves({ Attributes: { ...live } })
        .on(PutCommand)
        .rejects(conditionFailed());

      const { session, created } = await repository().createOrGet(USER);

      expect(session.sessionId).toBe('live-session');
      expect(created).toBe(false);
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(2);
    });

    it('gives up after two rounds rather than loop', async () => {
      mock.on(UpdateCommand).rejects(conditionFailed()).on(PutCommand).rejects(conditionFailed());
      await expect(repository().createOrGet(USER)).rejects.toThrow();
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(2);
    });

    it('passes on a replacement that fails for another reason', async () => {
      mock.on(UpdateCommand).rejectsOnce(conditionFailed()).on(PutCommand).rejects(throttled());
      expect(await codeOf(repository().createOrGet(USER))).toBe('UNAVAILABLE');
    });
  });

  describe('update and clear after a failed condition', () => {
    it('return the session when the write was applied by an attempt whose answer was lost', async () => {
      let writeId: unknown;
      mock
        .on(UpdateCommand)
        .callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => {
          writeId = input.ExpressionAttributeValues[':writeId'];
          throw conditionFailed();
        })
        .on(GetCommand)
        .callsFake(async () => ({ Item: { ...live, version: 2, lastWriteId: writeId } }));

      const session = await repository().update(USER, { step: 'a' });

      expect(session.version).toBe(2);
    });

    it.each([
      ['no item', undefined, undefined, 'NOT_FOUND'],
      ['an expired item', expired, undefined, 'NOT_FOUND'],
      ['a live item of another version', live, 7, 'VERSION_CONFLICT'],
      ['a live item created again since, with no version expected', live, undefined, 'NOT_FOUND'],
    ])('tell %s apart', async (_name, item, expectedVersion, code) => {
      mock.on(UpdateCommand).rejects(conditionFailed()).on(GetCommand).resolves({ Item: item });
      expect(await codeOf(repository().update(USER, { step: 'a' }, { expectedVersion }))).toBe(code);
      expect(await codeOf(repository().clear(USER, { expectedVersion }))).toBe(code);
    });

    it('pass on any other failure untouched', async () => {
      const denied = Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: {},
      });
      mock.on(UpdateCommand).rejects(denied);
      expect(await codeOf(repository().update(USER, { step: 'a' }))).toBe('AccessDeniedException');
    });
  });

  describe('delete', () => {
    it.each([
      ['a live session', { Attributes: { ...live } }, true],
      ['an expired item', { Attributes: { ...expired } }, false],
      ['nothing', {}, false],
    ])('reports whether it removed %s', async (_name, answer, expected) => {
      mock.on(DeleteCommand).resolves(answer);
      expect(await repository().delete(USER)).toBe(expected);
    });

    it('makes a failed condition a VERSION_CONFLICT', async () => {
      mock.on(DeleteCommand).rejects(conditionFailed());
      expect(await codeOf(repository().delete(USER, { expectedVersion: 3 }))).toBe('VERSION_CONFLICT');
    });
  });

  describe('get', () => {
    it.each([
      ['a live item', live, 'live-session'],
      ['an expired item', expired, undefined],
      ['no item', undefined, undefined],
    ])('reads %s', async (_name, item, sessionId) => {
      mock.on(GetCommand).resolves({ Item: item });
      expect((await repository().get(USER))?.sessionId).toBe(sessionId);
    });

    it('makes throttling that outlasted the retries UNAVAILABLE', async () => {
      mock.on(GetCommand).rejects(throttled());
      expect(await codeOf(repository().get(USER))).toBe('UNAVAILABLE');
    });
  });

  describe('the sweep reads', () => {
    it('follows every page of every shard, counting capacity only where DynamoDB reports it', async () => {
      mock.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
        if (input.ExpressionAttributeValues?.[':shard'] !== 3) return {};
        if (input.ExclusiveStartKey === undefined) {
          return {
            Items: [{ userId: 'a', updatedAt: '2026-01-01T00:00:00.000Z' }],
            LastEvaluatedKey: { userId: 'a' },
            ConsumedCapacity: { CapacityUnits: 0.5 },
          };
        }
        return { Items: [{ userId: 'b', updatedAt: '2026-01-02T00:00:00.000Z' }] };
      });

      const pages = [];
      for await (const page of repository().inactivePages('2026-10-27T10:00:00.000Z')) pages.push(page);

      expect(pages.flatMap((page) => page.sessions.map((session) => session.userId)).sort()).toEqual([
        'a',
        'b',
      ]);
      expect(pages.reduce((sum, page) => sum + page.consumedReadCapacity, 0)).toBe(0.5);
      expect(mock.commandCalls(QueryCommand).length).toBe(pages.length);
    });

    it.each([
      ['deleted', () => mock.on(DeleteCommand).resolves({}), 'deleted'],
      ['skipped', () => mock.on(DeleteCommand).rejects(conditionFailed()), 'skipped'],
    ])('deleteIfInactive reports %s', async (_name, arrange, outcome) => {
      arrange();
      expect(await repository().deleteIfInactive(USER, '2026-10-27T10:00:00.000Z')).toBe(outcome);
    });

    it('deleteIfInactive passes on other failures', async () => {
      mock.on(DeleteCommand).rejects(throttled());
      expect(await codeOf(repository().deleteIfInactive(USER, '2026-10-27T10:00:00.000Z'))).toBe(
        'UNAVAILABLE',
      );
    });
  });
});

function throttled() {
  return new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}
