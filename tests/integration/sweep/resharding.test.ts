/**
 * The shard count changed live, 16 → 64 → 8, the way a rolling deploy changes it: for a while writers on
 * the old count and writers on the new one run side by side, and a sweep runs at the same time. The sweep
 * reads every shard value up to MAX_ACTIVITY_SHARDS, so it finds every expired session whatever count
 * wrote it, and its conditional delete keeps every live one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRepository } from '../../../lib/store/session-repository.ts';
import { activityShardOf } from '../../../lib/store/shard.ts';
import { sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
} from '../../support/dynamo.ts';
import { DAY_MS, seededRandom, type TestTable } from '../../support/sweep.ts';

const doc = testDocumentClient();
const T0 = new Date('2026-01-01T08:00:00.000Z').getTime();
const PER_GROUP = 24;

let table: TestTable;
beforeAll(async () => {
  table = await isolatedTable();
});
afterAll(async () => {
  await table.drop();
});

describe('changing the shard count live', () => {
  it('16 → 64 → 8: no expired session is missed and no live one is deleted', async () => {
    const time = manualClock(new Date(T0));
    const random = seededRandom(1612);
    const repositories = new Map<number, SessionRepository>();
    const on = (count: number) => {
      let repository = repositories.get(count);
      if (!repository) {
        repository = repositoryFor(doc, {
          tableName: table.tableName,
          clock: time.clock,
          activityShards: count,
        });
        repositories.set(count, repository);
      }
      return repository;
    };
    const users = (group: string) => Array.from({ length: PER_GROUP }, (_, i) => `reshard:${group}:${i}`);
    /** Every session still live, with the count that last wrote it. */
    const live = new Map<string, number>();
    const expectedGone = new Set<string>();

    /** Writes under either of two counts at random, as during a rolling deploy. */
    const rollingWrites = async (userIds: string[], counts: [number, number]) => {
      for (const userId of userIds) {
        const count = random.pick(counts);
        if (random.chance(0.5)) await on(count).createOrGet(userId, 'Chatbot');
        else await on(count).update(userId, { context: { turn: random.int(1, 99) } });
        live.set(userId, count);
      }
    };
    const sweep = () =>
      sweepInactiveSessions(indexFor(doc, { tableName: table.tableName, activityShards: 8 }), {
        inactiveDays: 30,
        dryRun: false,
        concurrency: 8,
        now: time.clock(),
        remainingTimeMs: () => 900_000,
        safetyMarginMs: 10_000,
      });
    const exists = async (userId: string) => (await storedItem(doc, userId, table.tableName)) !== undefined;
    const assertSweepOutcome = async () => {
      for (const userId of expectedGone) expect(await exists(userId), `${userId} swept`).toBe(false);
      for (const userId of live.keys()) expect(await exists(userId), `${userId} kept`).toBe(true);
    };

    // 16 shards: sessions that will expire, and sessions that stay active through every change.
    const expired16 = users('expired16');
    const active = users('active');
    for (const userId of [...expired16, ...active]) await on(16).createOrGet(userId);
    for (const userId of active) live.set(userId, 16);
    expect(new Set(expired16.map((userId) => activityShardOf(userId, 16))).size).toBeGreaterThan(8);

    time.set(new Date(T0 + 20 * DAY_MS));
    await rollingWrites(active, [16, 16]);

    // 16 → 64, 31 days on: the 16-shard sessions have expired, the active ones come back during the
    // change (written under 16 or 64) while a sweep runs.
    time.set(new Date(T0 + 31 * DAY_MS));
    const expired64 = users('expired64');
    for (const userId of expired16) expectedGone.add(userId);
    await Promise.all([
      sweep(),
      rollingWrites(active, [16, 64]),
      (async () => {
        for (const userId of expired64) await on(64).createOrGet(userId);
      })(),
    ]);
    await assertSweepOutcome();
    // Some sessions now sit on shard values only 64 shards use.
    expect(expired64.some((userId) => activityShardOf(userId, 64) >= 16)).toBe(true);

    time.set(new Date(T0 + 50 * DAY_MS));
    await rollingWrites(active, [64, 64]);

    // 64 → 8, 31 days on: the 64-shard sessions have expired; writers on 64 and on 8 run beside a sweep.
    time.set(new Date(T0 + 62 * DAY_MS));
    const expired8 = users('expired8');
    for (const userId of expired64) expectedGone.add(userId);
    await Promise.all([
      sweep(),
      rollingWrites(active, [64, 8]),
      (async () => {
        for (const userId of expired8) await on(8).createOrGet(userId);
      })(),
    ]);
    await assertSweepOutcome();

    // On 8 shards, 31 days on: the active sessions came back once more; the 8-shard ones expired.
    time.set(new Date(T0 + 80 * DAY_MS));
    await rollingWrites(active, [8, 8]);
    time.set(new Date(T0 + 93 * DAY_MS));
    for (const userId of expired8) expectedGone.add(userId);
    const last = await sweep();
    await assertSweepOutcome();

    // Every active session moved to its shard under 8 on its last write, and the sweep read every value.
    for (const userId of active) {
      expect((await storedItem(doc, userId, table.tableName))?.activityShard).toBe(
        activityShardOf(userId, 8),
      );
    }
    expect(last).toMatchObject({ deleted: PER_GROUP, skipped: 0, errors: 0, complete: true });
  });
});
