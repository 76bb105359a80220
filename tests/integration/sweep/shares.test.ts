/**
 * Sweep workers: each scheduled worker sweeps its own share of the index's shard values, and the shares
 * together cover every value; a sweep with no share covers them all (an operator's run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import { parseInput, sweepInputSchema } from '../../../lib/session/schema.ts';
import { activityShardOf } from '../../../lib/store/shard.ts';
import { sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  storedItem,
  testDocumentClient,
} from '../../support/dynamo.ts';
import { countRequests } from '../../support/request-counter.ts';
import { DAY_MS, seedSessions, type TestTable, watchDeletes } from '../../support/sweep.ts';

const doc = testDocumentClient();
const requests = countRequests(doc);
const NOW = new Date('2026-11-26T10:00:00.000Z');
const SHARDS = 64;
const WORKERS = 4;

/** Worker i's share, as the template assigns them: the shard values equal to i modulo the worker count. */
const share = (worker: number) =>
  Array.from({ length: MAX_ACTIVITY_SHARDS }, (_, shard) => shard).filter(
    (shard) => shard % WORKERS === worker,
  );

let table: TestTable;
const expired = Array.from({ length: 80 }, (_, index) => `share:expired:${index}`);
const live = Array.from({ length: 40 }, (_, index) => `share:live:${index}`);
beforeAll(async () => {
  table = await isolatedTable();
  await seedSessions(
    doc,
    table.tableName,
    [
      ...expired.map((userId, index) => ({
        userId,
        updatedAt: new Date(NOW.getTime() - (31 + index) * DAY_MS),
      })),
      ...live.map((userId, index) => ({ userId, updatedAt: new Date(NOW.getTime() - index * DAY_MS * 0.5) })),
    ],
    { activityShards: SHARDS },
  );
});
afterAll(async () => {
  await table.drop();
});

function sweep(shards: readonly number[] | undefined, dryRun = false) {
  return sweepInactiveSessions(indexFor(doc, { tableName: table.tableName, clock: manualClock(NOW).clock }), {
    inactiveDays: 30,
    dryRun,
    concurrency: 4,
    now: NOW,
    remainingTimeMs: () => 900_000,
    safetyMarginMs: 10_000,
    shards,
  });
}

describe('sweep shares', () => {
  it('without a share reads every shard value once (a dry run finds every expired session)', async () => {
    requests.reset();

    const report = await sweep(undefined, true);

    expect(report).toMatchObject({ examined: expired.length, deleted: 0, complete: true });
    expect(requests.sent.filter((name) => name === 'Query')).toHaveLength(MAX_ACTIVITY_SHARDS);
    // Each empty shard value costs 0.5 RCU (eventually consistent): a pass over all of them about 128.
    expect(report.consumedReadCapacity).toBeLessThanOrEqual(MAX_ACTIVITY_SHARDS * 0.5 + 8);
  });

  it('reads only its share, and the workers together delete every expired session exactly once', async () => {
    const deletes = watchDeletes(doc);
    requests.reset();

    const reports = await Promise.all(Array.from({ length: WORKERS }, (_, worker) => sweep(share(worker))));

    expect(requests.sent.filter((name) => name === 'Query')).toHaveLength(MAX_ACTIVITY_SHARDS);
    reports.forEach((report, worker) => {
      const mine = expired.filter((userId) => activityShardOf(userId, SHARDS) % WORKERS === worker);
      expect(report).toMatchObject({ examined: mine.length, deleted: mine.length, skipped: 0, errors: 0 });
    });
    expect([...deletes.appliedPerUser().keys()].sort()).toEqual([...expired].sort());
    expect([...deletes.appliedPerUser().values()].every((count) => count === 1)).toBe(true);
    for (const userId of live) expect(await storedItem(doc, userId, table.tableName)).toBeDefined();
  });
});

describe('the sweep input', () => {
  it.each([[[0]], [[0, 255]], [share(3)]])('accepts the share %j', (shards) => {
    expect(parseInput(sweepInputSchema, { shards }).shards).toEqual(shards);
  });

  it.each([
    ['an empty share', []],
    ['a shard value past the ceiling', [256]],
    ['a negative shard value', [-1]],
    ['a fraction', [1.5]],
    ['a string', '0,1'],
    ['more values than the ceiling', Array.from({ length: 257 }, () => 0)],
  ])('refuses %s with VALIDATION_FAILED on shards', (_name, shards) => {
    expect(() => parseInput(sweepInputSchema, { shards })).toThrowError(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
