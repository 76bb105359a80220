/**
 * The activity bucket: the `byUpdatedAt` index's sort key holds the start of the session's activity
 * bucket (an hour by default), so writes within one bucket leave the index entry where it is. Expiry
 * still follows the exact last activity, and the sweep finds a session at most one bucket late.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACTIVITY_BUCKET_MS, DEFAULT_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import type { SessionRepository } from '../../../lib/store/session-repository.ts';
import { activityBucketStart, activityShardOf } from '../../../lib/store/shard.ts';
import { sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
} from '../../support/dynamo.ts';
import { DAY_MS, type TestTable } from '../../support/sweep.ts';

const doc = testDocumentClient();
const HOUR_MS = DEFAULT_ACTIVITY_BUCKET_MS;
const MINUTE_MS = 60_000;
const NOW = new Date('2026-11-26T10:00:00.000Z');

let table: TestTable;
beforeAll(async () => {
  table = await isolatedTable();
});
afterAll(async () => {
  await table.drop();
});

/** The user's entries in the index (keys only), read from every shard value a count of 16..256 uses. */
async function indexEntries(userId: string): Promise<{ activityShard: number; updatedBucket: number }[]> {
  const shards = new Set([16, 32, 64, 256].map((count) => activityShardOf(userId, count)));
  const found: { activityShard: number; updatedBucket: number }[] = [];
  for (const shard of shards) {
    const { Items = [] } = await doc.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: 'byUpdatedAt',
        KeyConditionExpression: 'activityShard = :shard',
        ExpressionAttributeValues: { ':shard': shard },
      }),
    );
    for (const item of Items) {
      if (item.userId === userId) {
        found.push({ activityShard: Number(item.activityShard), updatedBucket: Number(item.updatedBucket) });
      }
    }
  }
  return found;
}

function repository(time: ReturnType<typeof manualClock>): SessionRepository {
  return repositoryFor(doc, { tableName: table.tableName, clock: time.clock });
}

/** The start of `userId`'s bucket holding `at`, as epoch milliseconds. */
const bucketStartMs = (userId: string, at: number) => activityBucketStart(userId, new Date(at), HOUR_MS);

function sweepAt(_sessions: SessionRepository, now: Date) {
  return sweepInactiveSessions(indexFor(doc, { tableName: table.tableName }), {
    inactiveDays: 30,
    dryRun: false,
    concurrency: 4,
    now,
    remainingTimeMs: () => 900_000,
    safetyMarginMs: 10_000,
  });
}

describe('the activity bucket', () => {
  it('leaves the index entry unchanged for writes within one bucket, and moves it in a new bucket', async () => {
    // Prepare: the first write at the start of the user's bucket, so the next ones stay inside it.
    const userId = 'bucket:same';
    const start = bucketStartMs(userId, NOW.getTime());
    const time = manualClock(new Date(start));
    const sessions = repository(time);
    await sessions.createOrGet(userId);
    const before = await indexEntries(userId);

    // Act: every kind of write, inside the same bucket.
    time.advanceMs(10 * MINUTE_MS);
    await sessions.update(userId, { step: 'pick_time' });
    time.advanceMs(20 * MINUTE_MS);
    await sessions.clear(userId);
    time.advanceMs(29 * MINUTE_MS);
    const { session } = await sessions.createOrGet(userId);
    const within = await indexEntries(userId);
    const stored = await storedItem(doc, userId, table.tableName);

    // Assess
    expect(before).toEqual([
      {
        activityShard: activityShardOf(userId, DEFAULT_ACTIVITY_SHARDS),
        updatedBucket: start,
      },
    ]);
    expect(within).toEqual(before);
    expect(session.updatedAt).toBe(new Date(start + 59 * MINUTE_MS).toISOString());
    expect(stored?.updatedAt).toBe(session.updatedAt);
    expect(stored?.updatedBucket).toBe(start);

    // Act: the first write of the next bucket moves the entry, once.
    time.advanceMs(2 * MINUTE_MS);
    await sessions.update(userId, { step: 'confirm' });
    const moved = await indexEntries(userId);

    // Assess
    expect(moved).toEqual([{ activityShard: before[0]?.activityShard, updatedBucket: start + HOUR_MS }]);
  });

  it('spreads bucket boundaries over the hour, so active sessions do not all move together', () => {
    const offsets = Array.from({ length: 2_000 }, (_, index) => {
      const userId = `wa:+4477009${String(index).padStart(5, '0')}`;
      return Math.floor((bucketStartMs(userId, NOW.getTime()) % HOUR_MS) / (6 * MINUTE_MS));
    });
    const perTenth = Array.from({ length: 10 }, (_, tenth) => offsets.filter((o) => o === tenth).length);

    expect(Math.min(...perTenth)).toBeGreaterThan(150);
    expect(Math.max(...perTenth)).toBeLessThan(250);
  });

  it('keeps expiry exact: live for the whole window after the last write, gone a millisecond later', async () => {
    // Prepare: the last write late in its bucket, so the bucket start is almost an hour earlier.
    const userId = 'bucket:expiry';
    const last = bucketStartMs(userId, NOW.getTime()) + 59 * MINUTE_MS;
    const time = manualClock(new Date(last));
    const sessions = repository(time);
    const { session } = await sessions.createOrGet(userId);

    // Act and assess
    time.set(new Date(last + 30 * DAY_MS));
    expect((await sessions.get(userId))?.sessionId).toBe(session.sessionId);
    expect((await sessions.get(userId))?.updatedAt).toBe(new Date(last).toISOString());
    time.advanceMs(1);
    expect(await sessions.get(userId)).toBeUndefined();
    await expect(sessions.update(userId, { step: 'late' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const replaced = await sessions.createOrGet(userId);
    expect(replaced.created).toBe(true);
    expect(replaced.session.sessionId).not.toBe(session.sessionId);
  });

  it('sweeps exactly the sessions past the cutoff over one run and the next, and never a live one', async () => {
    // Prepare: sessions last active every 5 minutes from 2 h before the cutoff to 1 h after it.
    const time = manualClock(NOW);
    const sessions = repository(time);
    const cutoff = NOW.getTime() - 30 * DAY_MS;
    const lastActivity = new Map<string, number>();
    for (let offset = -120; offset <= 60; offset += 5) {
      for (let copy = 0; copy < 3; copy++) {
        const userId = `bucket:sweep:${offset}:${copy}`;
        const at = cutoff + offset * MINUTE_MS + copy * 7_000 + 1;
        time.set(new Date(at));
        await sessions.createOrGet(userId);
        lastActivity.set(userId, at);
      }
    }
    const remaining = async () => {
      const left = new Set<string>();
      for (const userId of lastActivity.keys()) {
        if (await storedItem(doc, userId, table.tableName)) left.add(userId);
      }
      return left;
    };

    // Act: the run at NOW, then the next hourly run.
    const first = await sweepAt(sessions, NOW);
    const afterFirst = await remaining();
    const next = new Date(NOW.getTime() + HOUR_MS);
    const second = await sweepAt(sessions, next);
    const afterSecond = await remaining();

    // Assess: a run removes a session once its whole bucket is older than the cutoff, and never a live
    // one; the next run removes every session that was expired at the first.
    for (const [userId, at] of lastActivity) {
      const bucketEnd = bucketStartMs(userId, at) + HOUR_MS;
      expect(afterFirst.has(userId), `${userId} after the first run`).toBe(bucketEnd > cutoff);
      expect(afterSecond.has(userId), `${userId} after the second run`).toBe(bucketEnd > cutoff + HOUR_MS);
      if (at < cutoff) expect(afterSecond.has(userId)).toBe(false);
      if (at >= cutoff + HOUR_MS) expect(afterSecond.has(userId)).toBe(true);
    }
    const expiredAtFirst = [...lastActivity.values()].filter((at) => at < cutoff).length;
    expect(first.deleted).toBeGreaterThan(0);
    expect(first.deleted).toBeLessThan(expiredAtFirst);
    expect(first.skipped + second.skipped).toBe(0);
    expect(first.deleted + second.deleted).toBe(lastActivity.size - afterSecond.size);
  });
});
