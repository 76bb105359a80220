/**
 * The sweep's index reads and deletes, on answers chosen through aws-sdk-client-mock.
 */
import { ConditionalCheckFailedException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import { createDocumentClient } from '../../../lib/store/dynamodb.ts';
import { INACTIVE_PAGE_LIMIT, SessionIndex } from '../../../lib/sweep/session-index.ts';

const NOW = new Date('2026-11-26T10:00:00.000Z');
const USER = 'wa:+447700900123';

const conditionFailed = () =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { attempts: 1 },
  });

const mock = mockClient(DynamoDBDocumentClient);
afterEach(() => mock.reset());

const index = () =>
  new SessionIndex(createDocumentClient({ endpoint: 'http://127.0.0.1:9' }), {
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

describe('SessionIndex', () => {
  describe('reads and deletes', () => {
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
      for await (const page of index().inactivePages('2026-10-27T10:00:00.000Z')) pages.push(page);

      expect(pages.flatMap((page) => page.sessions.map((session) => session.userId)).sort()).toEqual([
        'a',
        'b',
      ]);
      expect(pages.reduce((sum, page) => sum + page.consumedReadCapacity, 0)).toBe(0.5);
      // One query per shard value, one more for shard 3's second page, each a page of INACTIVE_PAGE_LIMIT.
      const queries = mock.commandCalls(QueryCommand).map((call) => call.args[0].input);
      expect(queries).toHaveLength(MAX_ACTIVITY_SHARDS + 1);
      for (const query of queries) expect(query.Limit).toBe(INACTIVE_PAGE_LIMIT);
    });

    it.each([
      ['deleted', () => mock.on(DeleteCommand).resolves({}), 'deleted'],
      ['skipped', () => mock.on(DeleteCommand).rejects(conditionFailed()), 'skipped'],
    ])('deleteIfInactive reports %s', async (_name, arrange, outcome) => {
      arrange();
      expect(await index().deleteIfInactive(USER, '2026-10-27T10:00:00.000Z')).toBe(outcome);
    });

    it('deleteIfInactive passes on other failures', async () => {
      mock.on(DeleteCommand).rejects(throttled());
      expect(await codeOf(index().deleteIfInactive(USER, '2026-10-27T10:00:00.000Z'))).toBe('UNAVAILABLE');
    });
  });
});

function throttled() {
  return new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}
