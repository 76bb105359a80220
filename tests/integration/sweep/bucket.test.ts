/**
 * The activity bucket: the `byUpdatedAt` index's sort key holds the start of the session's activity
 * bucket (an hour by default), so writes within one bucket leave the index entry where it is. Expiry
 * still follows the exact last activity, and the sweep finds a session at most one bucket late.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
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
async function indexEntries(userId: string): Promise<{ activityShard: number; updatedAt: string }[]> {
  const shards = new Set([16, 32, 64, 256].map((count) => activityShardOf(userId, count)));
  const found: { activityShard: number; updatedAt: string }[] = [];
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
        found.push({ activityShard: Number(item.activityShard), updatedAt: String(item.updatedAt) });
      }
    }
  }
  return found;
}

function repository(time: ReturnType<typeof manualClock>): SessionRepository {
  return repositoryFor(doc, { tableName: table.tableName, clock: time.clock });
}

/** The start of `userId`'s bucket holding `at`, as epoch milliseconds. */
const bucketStartMs = (userId: string, at: number) =>
  Date.parse(activityBucketStart(userId, new Date(at), HOUR_MS));

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
        updatedAt: new Date(start).toISOString(),
      },
    ]);
    expect(within).toEqual(before);
    expect(session.updatedAt).toBe(new Date(start + 59 * MINUTE_MS).toISOString());
    expect(stored?.updatedAtExact).toBe(session.updatedAt);
    expect(stored?.updatedAt).toBe(new Date(start).toISOString());

    // Act: the first write of the next bucket moves the entry, once.
    time.advanceMs(2 * MINUTE_MS);
    await sessions.update(userId, { step: 'confirm' });
    const moved = await indexEntries(userId);

    // Assess
    expect(moved).toEqual([
      { activityShard: before[0]?.activityShard, updatedAt: new Date(start + HOUR_MS).toISOString() },
    ]);
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

describe('an item written before the activity bucket (exact updatedAt, no updatedAtExact)', () => {
  /** Stores an item the way the service did before: the exact time in `updatedAt`, 16 shards. */
  async function storeOldItem(userId: string, at: number) {
    await doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          userId,
          sessionId: `00000000-0000-4000-8000-${String(at % 1e12).padStart(12, '0')}`,
          source: 'Chatbot',
          version: 3,
          createdAt: new Date(at - DAY_MS).toISOString(),
          updatedAt: new Date(at).toISOString(),
          expiresAt: new Date(at + 30 * DAY_MS).toISOString(),
          step: 'pick_date',
          booking: { service: 'Haircut' },
          context: { turns: 4 },
          activityShard: activityShardOf(userId, 16),
          purgeAt: Math.floor((at + 31 * DAY_MS) / 1000),
        },
      }),
    );
  }

  it('is read, updated onto the bucketed key, and deleted like any session', async () => {
    const time = manualClock(NOW);
    const sessions = repository(time);
    const at = NOW.getTime() - 2 * DAY_MS;
    await storeOldItem('old:rw', at);
    await storeOldItem('old:delete', at);

    const read = await sessions.get('old:rw');
    const updated = await sessions.update('old:rw', { step: 'confirm' }, { expectedVersion: 3 });
    const stored = await storedItem(doc, 'old:rw', table.tableName);

    expect(read).toMatchObject({ updatedAt: new Date(at).toISOString(), version: 3, step: 'pick_date' });
    expect(updated).toMatchObject({ updatedAt: NOW.toISOString(), version: 4, step: 'confirm' });
    expect(stored).toMatchObject({
      updatedAtExact: NOW.toISOString(),
      updatedAt: activityBucketStart('old:rw', NOW, HOUR_MS),
      activityShard: activityShardOf('old:rw', DEFAULT_ACTIVITY_SHARDS),
    });
    expect(await indexEntries('old:rw')).toEqual([
      { activityShard: stored?.activityShard, updatedAt: stored?.updatedAt },
    ]);
    expect(await sessions.delete('old:delete', { expectedVersion: 3 })).toBe(true);
    expect(await sessions.get('old:delete')).toBeUndefined();
    // As for any session: a tombstone without data, on the bucketed key, that the sweep removes later.
    const tombstone = await storedItem(doc, 'old:delete', table.tableName);
    expect(tombstone).toMatchObject({
      deletedAt: NOW.toISOString(),
      updatedAtExact: NOW.toISOString(),
      updatedAt: activityBucketStart('old:delete', NOW, HOUR_MS),
    });
    for (const field of ['step', 'booking', 'context']) expect(tombstone).not.toHaveProperty(field);
  });

  it('expires exactly, and is replaced by createOrGet once expired', async () => {
    const at = NOW.getTime() - 30 * DAY_MS;
    await storeOldItem('old:expiry', at);
    const time = manualClock(NOW);
    const sessions = repository(time);

    expect((await sessions.get('old:expiry'))?.version).toBe(3);
    time.advanceMs(1);
    expect(await sessions.get('old:expiry')).toBeUndefined();
    await expect(sessions.clear('old:expiry')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await sessions.createOrGet('old:expiry')).toMatchObject({
      created: true,
      session: { version: 1 },
    });
  });

  it('is swept: at once when expired over a bucket ago, by the next run when expired less', async () => {
    const cutoff = NOW.getTime() - 30 * DAY_MS;
    await storeOldItem('old:swept-now', cutoff - 2 * HOUR_MS);
    await storeOldItem('old:swept-next', cutoff - 10 * MINUTE_MS);
    await storeOldItem('old:live', cutoff + 10 * MINUTE_MS);
    const sessions = repository(manualClock(NOW));

    await sweepAt(sessions, NOW);
    const afterFirst = await Promise.all(
      ['old:swept-now', 'old:swept-next', 'old:live'].map((id) => storedItem(doc, id, table.tableName)),
    );
    await sweepAt(sessions, new Date(NOW.getTime() + HOUR_MS));
    const afterSecond = await Promise.all(
      ['old:swept-now', 'old:swept-next', 'old:live'].map((id) => storedItem(doc, id, table.tableName)),
    );

    expect(afterFirst.map(Boolean)).toEqual([false, true, true]);
    expect(afterSecond.map(Boolean)).toEqual([false, false, true]);
  });
});
