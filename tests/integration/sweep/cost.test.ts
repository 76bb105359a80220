import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import { sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import { indexFor, isolatedTable, testDocumentClient } from '../../support/dynamo.ts';
import { countRequests } from '../../support/request-counter.ts';
import { DAY_MS, type Seed, seedSessions, type TestTable, watchDeletes } from '../../support/sweep.ts';

const doc = testDocumentClient();
const requests = countRequests(doc);

const NOW = new Date('2026-11-26T10:00:00.000Z');
const ACTIVE = 10_000;
const EXPIRED = 100;

describe('sweepInactiveSessions', () => {
  describe('cost', () => {
    let table: TestTable;
    beforeAll(async () => {
      table = await isolatedTable();
      // Active sessions spread over the whole 30-day window; expired ones from 31 days to a year back.
      const active: Seed[] = Array.from({ length: ACTIVE }, (_, index) => ({
        userId: `active-${index}`,
        updatedAt: new Date(NOW.getTime() - ((index * 7919) % (30 * DAY_MS - 1))),
      }));
      const expired: Seed[] = Array.from({ length: EXPIRED }, (_, index) => ({
        userId: `expired-${index}`,
        updatedAt: new Date(NOW.getTime() - 31 * DAY_MS - index * 3 * DAY_MS),
      }));
      await seedSessions(doc, table.tableName, [...active, ...expired], { parallel: 16 });
    });
    afterAll(async () => {
      await table.drop();
    });

    it('reads only the expired entries of the index, one query per shard, and reports the capacity', async () => {
      // Prepare
      const deletes = watchDeletes(doc);
      requests.reset();

      // Act
      const report = await sweepInactiveSessions(indexFor(doc, { tableName: table.tableName }), {
        inactiveDays: 30,
        dryRun: false,
        concurrency: 16,
        now: NOW,
        remainingTimeMs: () => 900_000,
        safetyMarginMs: 10_000,
      });

      // Assess
      expect(report).toMatchObject({
        examined: EXPIRED,
        deleted: EXPIRED,
        skipped: 0,
        errors: 0,
        complete: true,
      });
      expect(report.examined).toBeLessThanOrEqual(EXPIRED + MAX_ACTIVITY_SHARDS);
      const queries = requests.sent.filter((name) => name === 'Query');
      expect(queries).toHaveLength(MAX_ACTIVITY_SHARDS);
      expect(requests.sent.filter((name) => name === 'DeleteItem')).toHaveLength(EXPIRED);
      expect(requests.sent).toHaveLength(MAX_ACTIVITY_SHARDS + EXPIRED);
      // The deletes that went through were the expired sessions', each once: no active one was touched.
      expect(deletes.applied.map((entry) => entry.userId).sort()).toEqual(
        Array.from({ length: EXPIRED }, (_, index) => `expired-${index}`).sort(),
      );
      // 100 keys-only entries fit in one 4 KB read unit per shard (0.5 RCU, eventually consistent);
      // reading the 10,000 active entries as well would cost about ten times that.
      expect(report.consumedReadCapacity).toBeGreaterThan(0);
      expect(report.consumedReadCapacity).toBeLessThanOrEqual(MAX_ACTIVITY_SHARDS * 0.5);
    });
  });
});
