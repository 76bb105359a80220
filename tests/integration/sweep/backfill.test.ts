/**
 * The shard backfill: moves every index entry to its shard under the current count, paced, without
 * touching any session's data, and never over a write that happened after its read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityShardOf } from '../../../lib/store/shard.ts';
import { backfillShards } from '../../../lib/sweep/backfill.ts';
import type { ShardEntry } from '../../../lib/sweep/session-index.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
} from '../../support/dynamo.ts';
import { DAY_MS, seedSessions, type TestTable } from '../../support/sweep.ts';
import { connectionReset, interceptWire } from '../../support/wire.ts';

const doc = testDocumentClient();
const NOW = new Date('2026-11-26T10:00:00.000Z');
const USERS = Array.from({ length: 60 }, (_, index) => `backfill:${index}`);

let table: TestTable;
beforeAll(async () => {
  table = await isolatedTable();
  await seedSessions(
    doc,
    table.tableName,
    USERS.map((userId, index) => ({ userId, updatedAt: new Date(NOW.getTime() - index * DAY_MS * 0.3) })),
    { activityShards: 16, activityBucketMs: 60 * 60 * 1000 },
  );
});
afterAll(async () => {
  await table.drop();
});

describe('backfillShards', () => {
  it('counts in a dry run what would move, and moves nothing', async () => {
    const sessions = indexFor(doc, { tableName: table.tableName, activityShards: 64 });
    const moving = USERS.filter((userId) => activityShardOf(userId, 64) !== activityShardOf(userId, 16));

    const report = await backfillShards(sessions, { itemsPerSecond: 1_000, dryRun: true });

    expect(report).toMatchObject({
      examined: USERS.length,
      moved: moving.length,
      unchanged: USERS.length - moving.length,
    });
    for (const userId of moving) {
      expect((await storedItem(doc, userId, table.tableName))?.activityShard).toBe(
        activityShardOf(userId, 16),
      );
    }
  });

  it('moves every entry to its shard under the new count, paced, leaving the data as it was', async () => {
    // Prepare: a fake clock for the pacing.
    const time = manualClock(NOW);
    const sessions = indexFor(doc, {
      tableName: table.tableName,
      activityShards: 64,
      clock: time.clock,
    });
    const before = new Map<string, Record<string, unknown> | undefined>();
    for (const userId of USERS) before.set(userId, await storedItem(doc, userId, table.tableName));
    let slept = 0;
    const errors: [unknown, ShardEntry][] = [];

    // Act
    const report = await backfillShards(sessions, {
      itemsPerSecond: 50,
      now: () => time.clock().getTime(),
      sleep: async (ms) => {
        slept += ms;
        time.advanceMs(ms);
      },
      onError: (error, entry) => errors.push([error, entry]),
    });

    // Assess
    expect(errors).toEqual([]);
    // An entry moved to a shard value the walk has yet to reach is read again there, as unchanged.
    expect(report.examined).toBeGreaterThanOrEqual(USERS.length);
    expect(report.moved).toBe(
      USERS.filter((userId) => activityShardOf(userId, 64) !== activityShardOf(userId, 16)).length,
    );
    expect(report.moved + report.unchanged).toBe(report.examined);
    // 50 moves a second: the n-th request waits until (n - 1) / 50 s after the start.
    expect(slept).toBeGreaterThanOrEqual(((report.moved - 1) * 1000) / 50 - 1);
    for (const userId of USERS) {
      const item = await storedItem(doc, userId, table.tableName);
      expect(item?.activityShard).toBe(activityShardOf(userId, 64));
      expect({ ...item, activityShard: 0 }).toEqual({ ...before.get(userId), activityShard: 0 });
    }

    // A second run finds everything in place.
    const again = await backfillShards(sessions, { itemsPerSecond: 1_000 });
    expect(again).toMatchObject({ examined: USERS.length, moved: 0, unchanged: USERS.length });
  });

  it('leaves an entry that a write moved after it was read where the write put it', async () => {
    // Prepare: the user's entry sits under 16 shards when read, then the user writes under 8 shards.
    const userId = USERS.find(
      (id) => new Set([8, 16, 64].map((count) => activityShardOf(id, count))).size === 3,
    );
    const sessions = indexFor(doc, { tableName: table.tableName, activityShards: 64 });
    const writer = repositoryFor(doc, { tableName: table.tableName, activityShards: 8 });
    await repositoryFor(doc, { tableName: table.tableName, activityShards: 16 }).update(userId as string, {
      step: 'before',
    });
    const shard = (await storedItem(doc, userId as string, table.tableName))?.activityShard as number;
    let entry: ShardEntry | undefined;
    for await (const page of sessions.shardEntryPages(shard)) {
      entry ??= page.entries.find((candidate) => candidate.userId === userId);
    }
    await writer.update(userId as string, { step: 'back' });

    // Act
    const outcome = await sessions.moveToCurrentShard(entry as ShardEntry);

    // Assess
    expect(outcome).toBe('skipped');
    expect(await storedItem(doc, userId as string, table.tableName)).toMatchObject({
      step: 'back',
      activityShard: activityShardOf(userId as string, 8),
    });
  });

  it("counts a move whose answer was lost as moved: the SDK's retry finds the entry already there", async () => {
    // Prepare: an entry the new count moves, read from the index.
    const userId = USERS.find((id) => activityShardOf(id, 32) !== activityShardOf(id, 16)) as string;
    const mover = testDocumentClient();
    const sessions = indexFor(mover, { tableName: table.tableName, activityShards: 32 });
    await repositoryFor(doc, { tableName: table.tableName, activityShards: 16 }).update(userId, {
      step: 'lost-answer',
    });
    const before = await storedItem(doc, userId, table.tableName);
    const entry: ShardEntry = {
      userId,
      activityShard: before?.activityShard as number,
      updatedBucket: before?.updatedBucket as number,
    };
    const wire = interceptWire(mover, async (attempt) => {
      if (attempt.operation !== 'UpdateItem' || attempt.count > 1) return attempt.forward();
      await attempt.forward();
      throw connectionReset();
    });

    // Act
    const outcome = await sessions.moveToCurrentShard(entry).finally(() => {
      wire.restore();
      mover.destroy();
    });

    // Assess: applied by the first attempt, confirmed by the retry, the data untouched.
    expect(wire.count('UpdateItem')).toBe(2);
    expect(outcome).toBe('moved');
    expect(await storedItem(doc, userId, table.tableName)).toEqual({
      ...before,
      activityShard: activityShardOf(userId, 32),
    });
  });
});
