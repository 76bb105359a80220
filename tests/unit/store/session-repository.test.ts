/**
 * The repository's rare paths, which real DynamoDB reaches only through races and faults: the SDK is
 * replaced by aws-sdk-client-mock, so each answer, and the item a failed condition returns (ALL_OLD), is
 * chosen. Every outcome here is one request but the replacement of a dead session, which is two. The
 * common paths run against dynalite in tests/integration/store.
 */
import { ConditionalCheckFailedException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { activityTimes } from '../../../lib/store/clock.ts';
import { createDocumentClient } from '../../../lib/store/dynamodb.ts';
import { SCHEMA_VERSION } from '../../../lib/store/item.ts';
import { SessionRepository } from '../../../lib/store/session-repository.ts';
import { writeEntry, writeIdentity } from '../../../lib/store/write-register.ts';
import { newSessionItem } from '../../support/items.ts';

const NOW = new Date('2026-11-26T10:00:00.000Z');
const USER = 'wa:+447700900123';
const live: Record<string, unknown> = {
  ...newSessionItem(USER, 'live-session', 'Chatbot', activityTimes(NOW, 30, { userId: USER })),
};
const expired: Record<string, unknown> = {
  ...newSessionItem(
    USER,
    'old-session',
    'Chatbot',
    activityTimes(new Date('2026-01-01T00:00:00Z'), 30, { userId: USER }),
  ),
};
const tombstone = (sessionId = 'live-session'): Record<string, unknown> => ({
  userId: USER,
  schemaVersion: SCHEMA_VERSION,
  sessionId,
  updatedAt: NOW.toISOString(),
  deletedAt: NOW.toISOString(),
  purgeAt: NOW.getTime() / 1000 + 3600,
});

/** A failed condition as DynamoDB answers it with ALL_OLD: the item as it was, marshalled, or none. */
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { attempts: 1 },
    ...(item === undefined ? {} : { Item: marshall(item, { removeUndefinedValues: true }) }),
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

/** Answers every UpdateItem with a failed condition returning the item `stored(input)` gives. */
function failWith(stored: (input: UpdateCommandInput) => Record<string, unknown> | undefined) {
  mock.on(UpdateCommand).callsFake(async (input: UpdateCommandInput) => {
    throw conditionFailed(stored(input));
  });
}

/** The item as a write would leave it, with the write's entry in slot 0 of its register. */
const recordedIn = (item: Record<string, unknown>, input: UpdateCommandInput) => ({
  ...item,
  [input.ExpressionAttributeNames?.['#k0'] === undefined ? 'r0' : 'k0']:
    input.ExpressionAttributeValues?.[':entry'],
});

describe('SessionRepository, rare paths', () => {
  describe('createOrGet', () => {
    it.each([
      ['an expired session', expired],
      ['a tombstone of another lifetime', tombstone('old-session')],
    ])('replaces %s with a new session, in a second write', async (_, dead) => {
      mock
        .on(UpdateCommand)
        .rejectsOnce(conditionFailed(dead))
        .callsFake(async (input: UpdateCommandInput) => ({
          Attributes: newSessionItem(
            USER,
            String(input.ExpressionAttributeValues?.[':sessionId']),
            'Chatbot',
            activityTimes(NOW, 30, { userId: USER }),
          ),
        }));

      const { session, created, replayed } = await repository().createOrGet(USER, 'Chatbot');

      expect({ created, replayed }).toEqual({ created: true, replayed: false });
      expect(session).toMatchObject({ userId: USER, version: 1, source: 'Chatbot', step: null });
      const [first, replacement] = mock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
      expect(replacement?.UpdateExpression).toMatch(/ REMOVE #deletedAt$/);
      // One candidate for the whole call, so a retried creating write is recognised as its own.
      expect(replacement?.ExpressionAttributeValues?.[':sessionId']).toBe(
        first?.ExpressionAttributeValues?.[':sessionId'],
      );
      expect(mock.calls()).toHaveLength(2);
    });

    it('answers the session a concurrent call revived when the replacement loses, with no third request', async () => {
      mock.on(UpdateCommand).rejectsOnce(conditionFailed(expired)).rejectsOnce(conditionFailed(live));

      const { session, created } = await repository().createOrGet(USER);

      expect(session.sessionId).toBe('live-session');
      expect(created).toBe(false);
      expect(mock.calls()).toHaveLength(2);
    });

    it('answers 404 when its own session was deleted before its retry, bringing nothing back', async () => {
      failWith((input) => tombstone(String(input.ExpressionAttributeValues?.[':sessionId'])));
      expect(await codeOf(repository().createOrGet(USER))).toBe('NOT_FOUND');
      expect(mock.calls()).toHaveLength(1);
    });

    it('answers a replayed key as the first call did, in one request', async () => {
      const first = writeIdentity('createOrGet', { source: 'Chatbot' }, 'msg-1');
      failWith(() => ({ ...live, k0: writeEntry(first) }));
      const outcome = await repository().createOrGet(USER, 'Chatbot', { idempotencyKey: 'msg-1' });
      expect(outcome).toMatchObject({
        created: false,
        replayed: true,
        session: { sessionId: 'live-session' },
      });
      expect(mock.calls()).toHaveLength(1);
    });

    it('passes on a replacement that fails for another reason', async () => {
      mock.on(UpdateCommand).rejectsOnce(conditionFailed(expired)).rejects(throttled());
      expect(await codeOf(repository().createOrGet(USER))).toBe('UNAVAILABLE');
      expect(mock.calls()).toHaveLength(2);
    });
  });

  describe('update and clear after a failed condition', () => {
    it('return the session when the write was applied by an attempt whose answer was lost', async () => {
      failWith((input) => recordedIn({ ...live, version: 2 }, input));

      const { session, replayed } = await repository().applyUpdate(USER, { step: 'a' });

      expect(session.version).toBe(2);
      // Its own lost answer, not a repeat of an earlier request: not a replay.
      expect(replayed).toBe(false);
      expect(mock.calls()).toHaveLength(1);
    });

    it('answer a replayed key as a replay', async () => {
      const first = writeIdentity('update', { input: { step: 'a' }, precondition: {} }, 'msg-1');
      failWith(() => ({ ...live, version: 2, k0: writeEntry(first) }));
      const { replayed } = await repository().applyUpdate(USER, { step: 'a' }, { idempotencyKey: 'msg-1' });
      expect(replayed).toBe(true);
    });

    const keyOf = (operation: 'update' | 'delete', input: unknown) =>
      writeEntry(writeIdentity(operation, { input, precondition: {} }, 'msg-1'));
    const spent = keyOf('update', { step: 'a' });
    const full = Object.fromEntries(Array.from({ length: 64 }, (_, index) => [`key-${index}`, index]));

    it.each([
      ['no item', undefined, {}, 'NOT_FOUND'],
      ['an expired item', expired, {}, 'NOT_FOUND'],
      ['a tombstone', tombstone(), {}, 'NOT_FOUND'],
      [
        'a tombstone past its life, even with the write recorded',
        { ...tombstone(), purgeAt: 1, k0: keyOf('update', { step: 'a' }) },
        { idempotencyKey: 'msg-1' },
        'NOT_FOUND',
      ],
      ['a live item of another version', live, { expectedVersion: 7 }, 'VERSION_CONFLICT'],
      ['a live item of another lifetime', live, { expectedSessionId: 'other' }, 'VERSION_CONFLICT'],
      [
        'the key used by another request',
        { ...live, k0: keyOf('update', { step: 'b' }) },
        { idempotencyKey: 'msg-1' },
        'IDEMPOTENCY_KEY_REUSED',
      ],
      [
        'the key used by a delete',
        { ...live, k0: keyOf('delete', {}) },
        { idempotencyKey: 'msg-1' },
        'IDEMPOTENCY_KEY_REUSED',
      ],
      [
        'the key used in an earlier lifetime',
        { ...live, k0: spent, kBefore: spent },
        { idempotencyKey: 'msg-1' },
        'NOT_FOUND',
      ],
      ['an item of a newer shape', { ...live, schemaVersion: SCHEMA_VERSION + 1 }, {}, 'UNAVAILABLE'],
    ])('tell %s apart from the item alone', async (_name, item, options, code) => {
      failWith(() => item);
      expect(await codeOf(repository().update(USER, { step: 'a' }, options))).toBe(code);
      expect(mock.calls()).toHaveLength(1);
    });

    it('answer 409 when the stored context has no room, in one request', async () => {
      failWith(() => ({ ...live, context: full }));
      expect(await codeOf(repository().update(USER, { context: { extra: 1 } }))).toBe('SESSION_TOO_LARGE');
      expect(mock.calls()).toHaveLength(1);
    });

    it('name the operation that used a reused key first', async () => {
      failWith(() => ({ ...live, k0: keyOf('delete', {}) }));
      const error = await repository()
        .update(USER, { step: 'a' }, { idempotencyKey: 'msg-1' })
        .catch((caught: { details: unknown }) => caught);
      expect(error).toMatchObject({ details: [{ path: 'idempotencyKey', message: 'was used by delete' }] });
    });

    it('refuse to guess when the item satisfies the whole condition', async () => {
      failWith(() => ({ ...live }));
      await expect(repository().update(USER, { step: 'a' })).rejects.toThrow(/satisfies every clause/);
    });

    it('pass on any other failure untouched', async () => {
      const denied = Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: {},
      });
      mock.on(UpdateCommand).rejects(denied);
      expect(await codeOf(repository().update(USER, { step: 'a' }))).toBe('AccessDeniedException');
      expect(await codeOf(repository().clear(USER))).toBe('AccessDeniedException');
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
      ['a tombstone', tombstone()],
      ['nothing', undefined],
    ])('finding %s, reports nothing deleted in one request', async (_name, item) => {
      failWith(() => item);
      expect(await repository().delete(USER)).toBe(false);
      expect(mock.calls()).toHaveLength(1);
    });

    it('answers true when its own tombstone is found after a lost answer', async () => {
      failWith((input) => recordedIn(tombstone(), input));
      expect(await repository().applyDelete(USER)).toEqual({ deleted: true, replayed: false });
      expect(mock.calls()).toHaveLength(1);
    });

    it('answers true to a key that deleted an earlier lifetime', async () => {
      const entry = writeEntry(writeIdentity('delete', { input: {}, precondition: {} }, 'msg-1'));
      failWith(() => ({ ...live, k0: entry, kBefore: entry }));
      expect(await repository().applyDelete(USER, { idempotencyKey: 'msg-1' })).toEqual({
        deleted: true,
        replayed: true,
      });
    });

    it('makes a failed condition on a live session of another version a VERSION_CONFLICT', async () => {
      failWith(() => ({ ...live }));
      expect(await codeOf(repository().delete(USER, { expectedVersion: 3 }))).toBe('VERSION_CONFLICT');
    });
  });

  describe('get', () => {
    it.each([
      ['a live item', live, 'live-session'],
      ['an expired item', expired, undefined],
      ['a tombstone', tombstone(), undefined],
      ['no item', undefined, undefined],
    ])('reads %s', async (_name, item, sessionId) => {
      mock.on(GetCommand).resolves({ Item: item });
      expect((await repository().get(USER))?.sessionId).toBe(sessionId);
    });

    it('refuses an item of a newer shape rather than misread it', async () => {
      mock.on(GetCommand).resolves({ Item: { ...live, schemaVersion: SCHEMA_VERSION + 1 } });
      expect(await codeOf(repository().get(USER))).toBe('UNAVAILABLE');
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
