import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionIndex } from '../../../lib/sweep/session-index.ts';
import { type SweepOptions, sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  storedItem,
  testDocumentClient,
} from '../../support/dynamo.ts';
import {
  DAY_MS,
  EXACT_BUCKET_MS,
  type Seed,
  seedSessions,
  type TestTable,
  watchDeletes,
} from '../../support/sweep.ts';

const NOW = new Date('2026-09-01T08:00:00.000Z');
const CUTOFF = NOW.getTime() - 30 * DAY_MS;
const EXPIRED = 60;
const SAFETY_MARGIN_MS = 10_000;

/** A Lambda deadline that leaves plenty of time for the first `checks` looks at it, then too little. */
function deadlineAfter(checks: number) {
  let seen = 0;
  return () => (seen++ < checks ? 60_000 : SAFETY_MARGIN_MS - 1);
}

const plentyOfTime = () => 900_000;

describe('sweepInactiveSessions', () => {
  describe('at the Lambda deadline', () => {
    let table: TestTable;
    let doc: DynamoDBDocumentClient;
    let sessions: SessionIndex;
    let expired: string[];
    let live: string[];
    beforeEach(async () => {
      table = await isolatedTable();
      doc = testDocumentClient();
      sessions = indexFor(doc, {
        tableName: table.tableName,
        activityBucketMs: EXACT_BUCKET_MS,
        clock: manualClock(NOW).clock,
      });
      const expiredSeeds: Seed[] = Array.from({ length: EXPIRED }, (_, index) => ({
        userId: `expired-${index}`,
        updatedAt: new Date(CUTOFF - 1 - index * 3_600_000),
      }));
      const liveSeeds: Seed[] = Array.from({ length: 20 }, (_, index) => ({
        userId: `live-${index}`,
        updatedAt: new Date(CUTOFF + index * 3_600_000),
      }));
      await seedSessions(doc, table.tableName, [...expiredSeeds, ...liveSeeds]);
      expired = expiredSeeds.map((seed) => seed.userId);
      live = liveSeeds.map((seed) => seed.userId);
    });
    afterEach(async () => {
      doc.destroy();
      await table.drop();
    });

    function sweep(options: Partial<SweepOptions>) {
      return sweepInactiveSessions(sessions, {
        inactiveDays: 30,
        dryRun: false,
        concurrency: 4,
        now: NOW,
        remainingTimeMs: plentyOfTime,
        safetyMarginMs: SAFETY_MARGIN_MS,
        ...options,
      });
    }

    async function assertSweptExactlyOnce(deletes: ReturnType<typeof watchDeletes>) {
      expect([...deletes.appliedPerUser().keys()].sort()).toEqual([...expired].sort());
      expect([...deletes.appliedPerUser().values()].every((count) => count === 1)).toBe(true);
      const stored = await Promise.all(
        [...expired, ...live].map((userId) => storedItem(doc, userId, table.tableName)),
      );
      expect(stored.slice(0, EXPIRED).every((item) => item === undefined)).toBe(true);
      expect(stored.slice(EXPIRED).every((item) => item !== undefined)).toBe(true);
    }

    it.each([
      { name: 'one delete at a time', concurrency: 1, checks: 25 },
      { name: '16 deletes in flight', concurrency: 16, checks: 25 },
      { name: 'one session short of the end', concurrency: 4, checks: EXPIRED - 1 },
    ])('stops early with $name, reports complete: false, and the next run finishes', async (variant) => {
      // Prepare
      const deletes = watchDeletes(doc);

      // Act
      const first = await sweep({
        concurrency: variant.concurrency,
        remainingTimeMs: deadlineAfter(variant.checks),
      });
      const second = await sweep({ concurrency: variant.concurrency });

      // Assess
      expect(first.complete).toBe(false);
      expect(first.examined).toBeGreaterThan(0);
      expect(first.examined).toBeLessThan(EXPIRED);
      expect(first).toMatchObject({ deleted: first.examined, skipped: 0, errors: 0 });
      expect(second).toMatchObject({
        complete: true,
        examined: EXPIRED - first.examined,
        deleted: EXPIRED - first.examined,
        skipped: 0,
        errors: 0,
      });
      expect(first.deleted + second.deleted).toBe(EXPIRED);
      await assertSweptExactlyOnce(deletes);
    });

    it('deletes nothing when the deadline is already too close, and the next run does it all', async () => {
      // Prepare
      const deletes = watchDeletes(doc);

      // Act
      const first = await sweep({ remainingTimeMs: () => SAFETY_MARGIN_MS - 1 });
      const second = await sweep({});

      // Assess
      expect(first).toMatchObject({ complete: false, examined: 0, deleted: 0 });
      expect(second).toMatchObject({ complete: true, examined: EXPIRED, deleted: EXPIRED });
      await assertSweptExactlyOnce(deletes);
    });

    it('gives up retrying a throttled delete at the deadline, and the next run deletes it', async () => {
      // Prepare: every delete is throttled during the first run; time runs out while it retries.
      let throttling = true;
      const deletes = watchDeletes(doc, () => {
        if (throttling) {
          throw new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} });
        }
      });
      const sleeps: number[] = [];

      // Act
      const first = await sweep({
        concurrency: 1,
        throttleRetries: 1_000,
        remainingTimeMs: deadlineAfter(20),
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });
      throttling = false;
      const second = await sweep({});

      // Assess
      expect(first.complete).toBe(false);
      expect(first.deleted).toBe(0);
      expect(first.errors).toBe(first.examined);
      expect(first.examined).toBeGreaterThan(0);
      expect(sleeps.length).toBeLessThan(20);
      expect(second).toMatchObject({ complete: true, examined: EXPIRED, deleted: EXPIRED, errors: 0 });
      await assertSweptExactlyOnce(deletes);
    });
  });
});
