import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import { activityShardOf } from '../../../lib/store/shard.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  repositoryFor,
  testDocumentClient,
} from '../../support/dynamo.ts';

const doc = testDocumentClient();

describe('SessionIndex', () => {
  describe('findInactive', () => {
    let table: Awaited<ReturnType<typeof isolatedTable>>;
    beforeAll(async () => {
      table = await isolatedTable();
    });
    afterAll(async () => {
      await table.drop();
    });

    it('lists exactly the sessions inactive for more than 30 days, across every shard', async () => {
      const time = manualClock(new Date('2026-01-01T00:00:00.000Z'));
      const sessions = repositoryFor(doc, {
        tableName: table.tableName,
        clock: time.clock,
      });
      const old = Array.from({ length: 40 }, (_, index) => `old-${index}`);
      const recent = Array.from({ length: 40 }, (_, index) => `recent-${index}`);
      for (const userId of old) await sessions.createOrGet(userId);
      time.advanceDays(10);
      for (const userId of recent) await sessions.createOrGet(userId);
      time.advanceDays(25);

      const found = [];
      for await (const entry of indexFor(doc, { tableName: table.tableName }).findInactive({
        inactiveDays: 30,
        now: time.clock(),
      }))
        found.push(entry);

      expect(found.map((entry) => entry.userId).sort()).toEqual([...old].sort());
      expect(
        new Set(old.map((userId) => activityShardOf(userId, DEFAULT_ACTIVITY_SHARDS))).size,
      ).toBeGreaterThan(DEFAULT_ACTIVITY_SHARDS / 2);
      // The index holds the start of each session's activity bucket: at most an hour before the activity.
      for (const entry of found) {
        expect(entry.updatedBucket).toBeLessThanOrEqual(Date.parse('2026-01-01T00:00:00.000Z'));
        expect(entry.updatedBucket).toBeGreaterThan(Date.parse('2025-12-31T23:00:00.000Z'));
      }
    });

    it('uses the window it is given', async () => {
      const found = [];
      for await (const entry of indexFor(doc, { tableName: table.tableName }).findInactive({
        inactiveDays: 1,
        now: new Date('2026-03-01'),
      })) {
        found.push(entry.userId);
      }

      expect(found).toHaveLength(80);
    });
  });
});
