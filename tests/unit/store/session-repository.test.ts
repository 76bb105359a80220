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
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { activityTimes } from '../../../lib/store/clock.ts';
import { createDocumentClient } from '../../../lib/store/dynamodb.ts';
import { SessionRepository } from '../../../lib/store/session-repository.ts';
import { newSessionItem } from '../../../lib/store/session-requests.ts';

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
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { attempts: 1 },
  });
/** What the SDK throws when its retry of an attempt whose answer was lost fails the condition. */
const conditionFailedOnRetry = () =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { attempts: 2 },
  });

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
    it('replaces an expired item or a tombstone with a new session', async () => {
      mock
        .on(UpdateCommand)
        .rejectsOnce(conditionFailed())
        .callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
          Attributes: newSessionItem(
            USER,
            String(input.ExpressionAttributeValues[':sessionId']),
            'Chatbot',
            activityTimes(NOW, 30, { userId: USER }),
          ),
        }));

      const { session, created, replayed } = await repository().createOrGet(USER, 'Chatbot');

      expect({ created, replayed }).toEqual({ created: true, replayed: false });
      expect(session).toMatchObject({ userId: USER, version: 1, source: 'Chatbot', step: null });
      const [first, replacement] = mock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
      expect(replacement?.UpdateExpression).toMatch(/ REMOVE #deletedAt, #lastWriteId$/);
      // One candidate for the whole call, so a retried creating write is recognised as its own.
      expect(replacement?.ExpressionAttributeValues?.[':sessionId']).toBe(
        first?.ExpressionAttributeValues?.[':sessionId'],
      );
      expect(mock.commandCalls(PutCommand)).toHaveLength(0);
    });

    it('returns the session a concurrent call revived, when the replacement loses', async () => {
      mock
        .on(UpdateCommand)
        .rejectsOnce(conditionFailed())
        .rejectsOnce(conditionFailed())
        .resolves({ Attributes: { ...live } });

      const { session, created } = await repository().createOrGet(USER);

      expect(session.sessionId).toBe('live-session');
      expect(created).toBe(false);
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(3);
    });

    it('gives up after three rounds rather than loop', async () => {
      mock.on(UpdateCommand).rejects(conditionFailed());
      expect(await codeOf(repository().createOrGet(USER))).toBe('UNAVAILABLE');
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(6);
    });

    it('passes on a replacement that fails for another reason', async () => {
      mock.on(UpdateCommand).rejectsOnce(conditionFailed()).rejects(throttled());
      expect(await codeOf(repository().createOrGet(USER))).toBe('UNAVAILABLE');
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(2);
    });
  });

  describe('update and clear after a failed condition', () => {
    it('return the session when the write was applied by an attempt whose answer was lost', async () => {
      let entry: unknown;
      mock
        .on(UpdateCommand)
        .callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => {
          entry = input.ExpressionAttributeValues[':entry'];
          throw conditionFailedOnRetry();
        })
        .on(GetCommand)
        .callsFake(async () => ({ Item: { ...live, version: 2, w0: entry } }));

      const { session, replayed } = await repository().applyUpdate(USER, { step: 'a' });

      expect(session.version).toBe(2);
      // Its own lost answer, not a repeat of an earlier request: not a replay.
      expect(replayed).toBe(false);
    });

    it.each([
      ['no item', undefined, undefined, 'NOT_FOUND'],
      ['an expired item', expired, undefined, 'NOT_FOUND'],
      ['a tombstone', { ...live, deletedAt: NOW.toISOString() }, undefined, 'NOT_FOUND'],
      ['a live item of another version', live, 7, 'VERSION_CONFLICT'],
      ['a live item created again since, with no version expected', live, undefined, 'NOT_FOUND'],
    ])('tell %s apart', async (_name, item, expectedVersion, code) => {
      mock.on(UpdateCommand).rejects(conditionFailed()).on(GetCommand).resolves({ Item: item });
      expect(await codeOf(repository().update(USER, { step: 'a' }, { expectedVersion }))).toBe(code);
      expect(await codeOf(repository().clear(USER, { expectedVersion }))).toBe(code);
    });

    it('write again when the read finds the cause gone: room made for the keys after the attempt', async () => {
      mock
        .on(UpdateCommand)
        .rejectsOnce(conditionFailed())
        .resolves({ Attributes: { ...live, version: 3, context: { k0: 0, extra: 1 } } })
        .on(GetCommand)
        // The attempt found 64 keys; another caller removed all but one before the read.
        .resolves({ Item: { ...live, version: 2, context: { k0: 0 } } });

      const session = await repository().update(USER, { context: { extra: 1 } });

      expect(session.version).toBe(3);
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(2);
      expect(mock.commandCalls(GetCommand)).toHaveLength(1);
    });

    it('give up after three rounds if the session keeps changing under them', async () => {
      mock
        .on(UpdateCommand)
        .rejects(conditionFailed())
        .on(GetCommand)
        .resolves({ Item: { ...live } });
      expect(await codeOf(repository().update(USER, { step: 'a' }, { idempotencyKey: 'k' }))).toBe(
        'UNAVAILABLE',
      );
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(3);
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
    it('leaves a tombstone of a live session in one request', async () => {
      mock.on(UpdateCommand).resolves({});
      expect(await repository().delete(USER)).toBe(true);
      expect(mock.calls()).toHaveLength(1);
    });

    it.each([
      ['an expired item', expired],
      ['nothing', undefined],
    ])('finding %s, removes only dead data and reports nothing deleted', async (_name, item) => {
      mock
        .on(UpdateCommand)
        .rejects(conditionFailed())
        .on(GetCommand)
        .resolves({ Item: item })
        .on(DeleteCommand)
        .rejects(conditionFailed());
      if (item !== undefined) mock.on(DeleteCommand).resolves({});

      expect(await repository().delete(USER)).toBe(false);
      const [purge] = mock.commandCalls(DeleteCommand).map((call) => call.args[0].input);
      expect(purge?.ConditionExpression).toContain('attribute_not_exists(#deletedAt)');
    });

    it('answers true when its own tombstone is found after a lost answer', async () => {
      let entry: unknown;
      mock
        .on(UpdateCommand)
        .callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => {
          entry = input.ExpressionAttributeValues[':entry'];
          throw conditionFailedOnRetry();
        })
        .on(GetCommand)
        .callsFake(async () => ({ Item: { ...live, deletedAt: NOW.toISOString(), w0: entry } }));

      expect(await repository().applyDelete(USER)).toEqual({ deleted: true, replayed: false });
      expect(mock.commandCalls(DeleteCommand)).toHaveLength(0);
    });

    it('deletes a session created after its attempt failed, when no precondition was given', async () => {
      mock
        .on(UpdateCommand)
        .rejectsOnce(conditionFailed())
        .resolves({})
        .on(GetCommand)
        .resolves({ Item: { ...live } });

      expect(await repository().applyDelete(USER, { idempotencyKey: 'k' })).toEqual({
        deleted: true,
        replayed: false,
      });
      expect(mock.commandCalls(UpdateCommand)).toHaveLength(2);
    });

    it('makes a failed condition on a live session of another version a VERSION_CONFLICT', async () => {
      mock
        .on(UpdateCommand)
        .rejects(conditionFailed())
        .on(GetCommand)
        .resolves({ Item: { ...live } });
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
});

function throttled() {
  return new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}
