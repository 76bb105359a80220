/**
 * The sweep spreads its deletes over the index's shards: entries come round-robin, one per shard in
 * turn across page boundaries, so that no `byUpdatedAt` partition takes more than about twice its share
 * of a worker's deletes in any stretch of the run. Checked on the order in which the sweep starts its
 * deletes against the embedded DynamoDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityShardOf } from '../../../lib/store/shard.ts';
import { SessionIndex } from '../../../lib/sweep/session-index.ts';
import { type SweepIndex, sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import { isolatedTable, manualClock, testDocumentClient } from '../../support/dynamo.ts';
import { countRequests } from '../../support/request-counter.ts';
import { DAY_MS, EXACT_BUCKET_MS, seedSessions, type TestTable } from '../../support/sweep.ts';

const doc = testDocumentClient();
const requests = countRequests(doc);
const NOW = new Date('2026-11-26T10:00:00.000Z');
const SHARDS = 16;
const PER_SHARD = 24;
/** Smaller than PER_SHARD, so every shard is read over several pages. */
const PAGE_LIMIT = 5;

/** `count` user ids on each of `shards` shard values, with the shard each writes to. */
function idsPerShard(shards: number, count: number): Map<string, number> {
  const ids = new Map<string, number>();
  const counts = new Array<number>(shards).fill(0);
  for (let n = 0; ids.size < shards * count; n++) {
    const userId = `spread:${n}`;
    const shard = activityShardOf(userId, shards);
    if ((counts[shard] as number) < count) {
      counts[shard] = (counts[shard] as number) + 1;
      ids.set(userId, shard);
    }
  }
  return ids;
}

let table: TestTable;
const expired = idsPerShard(SHARDS, PER_SHARD);
beforeAll(async () => {
  table = await isolatedTable();
  await seedSessions(
    doc,
    table.tableName,
    [...expired.keys()].map((userId, index) => ({
      userId,
      updatedAt: new Date(NOW.getTime() - 31 * DAY_MS - index * 60_000),
    })),
    { activityShards: SHARDS },
  );
});
afterAll(async () => {
  await table.drop();
});

/** The index, recording the shard of each delete in the order the sweep starts them. */
function recordingIndex(): { index: SweepIndex; order: number[] } {
  const index = new SessionIndex(doc, {
    tableName: table.tableName,
    inactiveDays: 30,
    clock: manualClock(NOW).clock,
    activityShards: SHARDS,
    activityBucketMs: EXACT_BUCKET_MS,
    pageLimit: PAGE_LIMIT,
  });
  const order: number[] = [];
  return {
    order,
    index: {
      inactivePages: (cutoff, options) => index.inactivePages(cutoff, options),
      deleteIfInactive: (userId, cutoff, options) => {
        order.push(expired.get(userId) ?? -1);
        return index.deleteIfInactive(userId, cutoff, options);
      },
    },
  };
}

/** The most deletes any one shard takes in any `window` consecutive deletes. */
function busiestShardIn(order: readonly number[], window: number): number {
  let busiest = 0;
  for (let start = 0; start + window <= order.length; start++) {
    const counts = new Map<number, number>();
    for (const shard of order.slice(start, start + window)) counts.set(shard, (counts.get(shard) ?? 0) + 1);
    busiest = Math.max(busiest, ...counts.values());
  }
  return busiest;
}

describe("the order of the sweep's deletes", () => {
  it('gives no shard more than twice its share of any stretch of the run', async () => {
    const { index, order } = recordingIndex();
    requests.reset();

    const report = await sweepInactiveSessions(index, {
      inactiveDays: 30,
      dryRun: false,
      concurrency: 8,
      now: NOW,
      remainingTimeMs: () => 900_000,
      safetyMarginMs: 10_000,
    });

    expect(report).toMatchObject({ deleted: SHARDS * PER_SHARD, errors: 0, complete: true });
    expect(order).toHaveLength(SHARDS * PER_SHARD);
    // Every shard in the first round, before any shard's second delete.
    expect(new Set(order.slice(0, SHARDS)).size).toBe(SHARDS);
    // A shard's share of any stretch of 2 rounds is 2 deletes; it never takes more than twice that.
    for (const window of [SHARDS, 2 * SHARDS, 4 * SHARDS]) {
      expect(busiestShardIn(order, window), `window ${window}`).toBeLessThanOrEqual(2 * (window / SHARDS));
    }
    // No shard ever has two deletes in a row.
    expect(order.some((shard, i) => i > 0 && shard === order[i - 1])).toBe(false);
  });

  it('reads each shard page by page, no more pages than its entries need plus the last, empty or not', () => {
    const queries = requests.sent.filter((name) => name === 'Query').length;
    const pagesPerUsedShard = Math.ceil(PER_SHARD / PAGE_LIMIT) + (PER_SHARD % PAGE_LIMIT === 0 ? 1 : 0);

    // Used shards: their pages; every other shard value of the 256: one empty page.
    expect(queries).toBeLessThanOrEqual(SHARDS * pagesPerUsedShard + (256 - SHARDS));
    expect(queries).toBeGreaterThanOrEqual(SHARDS * Math.ceil(PER_SHARD / PAGE_LIMIT));
  });
});
