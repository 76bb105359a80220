import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionIndex } from '../../../lib/sweep/session-index.ts';
import { type SweepOptions, sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
} from '../../support/dynamo.ts';
import { countRequests } from '../../support/request-counter.ts';
import { DAY_MS, EXACT_BUCKET_MS, type TestTable } from '../../support/sweep.ts';

const doc = testDocumentClient();
const requests = countRequests(doc);
const NOW = new Date('2026-06-15T12:00:00.000Z');

/** Last activity of the sessions each test stores, relative to the cutoff (NOW minus the window). */
const EXPIRED_OFFSETS_MS = [-400 * DAY_MS, -DAY_MS, -1_000, -1];
const LIVE_OFFSETS_MS = [0, 1, 1_000];
/** Sessions stored per instant, so that several shards hold each. */
const PER_OFFSET = 3;

function sweep(sessions: SessionIndex, options: Partial<SweepOptions> = {}) {
  return sweepInactiveSessions(sessions, {
    inactiveDays: 30,
    dryRun: false,
    concurrency: 4,
    now: NOW,
    remainingTimeMs: () => 900_000,
    safetyMarginMs: 10_000,
    ...options,
  });
}

async function findInactive(sessions: SessionIndex, inactiveDays: number): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of sessions.findInactive({ inactiveDays, now: NOW })) found.push(entry.userId);
  return found.sort();
}

/**
 * Creates sessions through the repository at instants either side of the cutoff, plus a session created
 * before the cutoff and updated after it, and one created at NOW. Returns the userIds that are expired
 * at NOW and the sessionIds of those that are live.
 */
async function storeAroundCutoff(inactiveDays: number) {
  const time = manualClock(NOW);
  const sessions = repositoryFor(doc, {
    tableName: table.tableName,
    activityBucketMs: EXACT_BUCKET_MS,
    clock: time.clock,
    inactiveDays,
  });
  const index = indexFor(doc, {
    tableName: table.tableName,
    activityBucketMs: EXACT_BUCKET_MS,
    inactiveDays,
  });
  const cutoff = NOW.getTime() - inactiveDays * DAY_MS;
  const createAt = async (userId: string, instant: number) => {
    time.set(new Date(instant));
    return (await sessions.createOrGet(userId)).session;
  };
  const name = (offset: number, copy: number) => `at${offset < 0 ? '' : '+'}${offset}ms-${copy}`;
  const expired: string[] = [];
  const live = new Map<string, string>();
  for (let copy = 0; copy < PER_OFFSET; copy++) {
    for (const offset of EXPIRED_OFFSETS_MS) {
      await createAt(name(offset, copy), cutoff + offset);
      expired.push(name(offset, copy));
    }
    for (const offset of LIVE_OFFSETS_MS) {
      live.set(name(offset, copy), (await createAt(name(offset, copy), cutoff + offset)).sessionId);
    }
  }
  const comeback = await createAt('came-back', cutoff - (inactiveDays * DAY_MS) / 2);
  time.set(new Date(cutoff + 1));
  await sessions.update('came-back', { step: 'returned' });
  live.set('came-back', comeback.sessionId);
  live.set('fresh', (await createAt('fresh', NOW.getTime())).sessionId);
  return { sessions, index, expired: expired.sort(), live, cutoff: new Date(cutoff).toISOString() };
}

let table: TestTable;

describe('sweepInactiveSessions', () => {
  // The sweep reads the whole index, so every test gets a table of its own.
  beforeEach(async () => {
    table = await isolatedTable();
  });
  afterEach(async () => {
    await table.drop();
  });

  describe('with a window of N days', () => {
    it.each([1, 30, 3650])(
      'removes exactly the sessions inactive longer than a window of %i days, keeping the one at the cutoff',
      async (inactiveDays) => {
        // Prepare
        const { index, expired, live, cutoff } = await storeAroundCutoff(inactiveDays);

        // Act
        const listed = await findInactive(index, inactiveDays);
        const report = await sweep(index, { inactiveDays });

        // Assess
        expect(listed).toEqual(expired);
        expect(report).toMatchObject({
          cutoff,
          examined: expired.length,
          deleted: expired.length,
          skipped: 0,
          errors: 0,
          complete: true,
          dryRun: false,
        });
        for (const userId of expired) {
          expect(await storedItem(doc, userId, table.tableName), userId).toBeUndefined();
        }
        for (const [userId, sessionId] of live) {
          expect((await storedItem(doc, userId, table.tableName))?.sessionId, userId).toBe(sessionId);
        }
        expect(await findInactive(index, inactiveDays)).toEqual([]);
      },
    );

    it('treats a session whose last activity equals the cutoff as live, as the repository does', async () => {
      // Prepare
      const { sessions, index, live } = await storeAroundCutoff(30);
      const atCutoff = [...live.keys()].filter((userId) => userId.startsWith('at+0ms'));

      // Act
      await sweep(index);

      // Assess: the repository, at the same instant, still serves it.
      expect(atCutoff).toHaveLength(PER_OFFSET);
      for (const userId of atCutoff) {
        expect((await sessions.get(userId))?.sessionId, userId).toBe(live.get(userId));
      }
    });

    it('removes nothing when no session is past the cutoff, and says it is complete', async () => {
      // Prepare
      const { index } = await storeAroundCutoff(30);
      await sweep(index);
      requests.reset();

      // Act
      const report = await sweep(index);

      // Assess
      expect(report).toMatchObject({ examined: 0, deleted: 0, skipped: 0, errors: 0, complete: true });
      expect(requests.sent.every((name) => name === 'Query')).toBe(true);
    });
  });

  describe('dry run', () => {
    it('counts the sessions a real sweep would remove and deletes nothing', async () => {
      // Prepare
      const { index, expired } = await storeAroundCutoff(30);
      requests.reset();

      // Act
      const dry = await sweep(index, { dryRun: true });
      const sent = [...requests.sent];
      const real = await sweep(index);

      // Assess
      expect(dry).toMatchObject({
        examined: expired.length,
        deleted: 0,
        skipped: 0,
        errors: 0,
        complete: true,
        dryRun: true,
      });
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.every((name) => name === 'Query')).toBe(true);
      expect(real).toMatchObject({ examined: dry.examined, deleted: dry.examined, dryRun: false });
    });

    it('leaves every stored item as it was', async () => {
      // Prepare
      const { index, expired, live } = await storeAroundCutoff(30);
      const userIds = [...expired, ...live.keys()];
      const before = await Promise.all(userIds.map((userId) => storedItem(doc, userId, table.tableName)));

      // Act
      await sweep(index, { dryRun: true });

      // Assess
      const after = await Promise.all(userIds.map((userId) => storedItem(doc, userId, table.tableName)));
      expect(after).toEqual(before);
      expect(after.every((item) => item !== undefined)).toBe(true);
    });
  });
});
