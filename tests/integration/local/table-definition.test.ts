import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClient } from '../../../lib/local/embedded-dynamodb.ts';
import { sessionsTableDefinition } from '../../../lib/local/table-definition.ts';
import { endpoint, isolatedTable } from '../../support/dynamo.ts';

describe('sessionsTableDefinition', () => {
  it('reads the key, the sharded index and the billing mode from serverless.yml', () => {
    const definition = sessionsTableDefinition('session-service-dev-sessions');

    expect(definition).toEqual({
      TableName: 'session-service-dev-sessions',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
      AttributeDefinitions: expect.arrayContaining([
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'activityShard', AttributeType: 'N' },
        { AttributeName: 'updatedBucket', AttributeType: 'N' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byUpdatedAt',
          KeySchema: [
            { AttributeName: 'activityShard', KeyType: 'HASH' },
            { AttributeName: 'updatedBucket', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  describe('on the embedded DynamoDB', () => {
    let table: Awaited<ReturnType<typeof isolatedTable>>;
    beforeAll(async () => {
      table = await isolatedTable();
    });
    afterAll(async () => {
      await table.drop();
    });

    it('creates a table with that key schema and index', async () => {
      const client = localDynamoClient(endpoint());
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table.tableName }));
      client.destroy();

      expect(Table?.KeySchema).toEqual([{ AttributeName: 'userId', KeyType: 'HASH' }]);
      expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe('byUpdatedAt');
      expect(Table?.GlobalSecondaryIndexes?.[0]?.Projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
    });
  });
});
