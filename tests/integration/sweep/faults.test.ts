import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRepository } from '../../../lib/store/session-repository.ts';
import type { InactiveSession } from '../../../lib/sweep/session-index.ts';
import { SweepInterruptedError, sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  repositoryFor,
  storedItem,
  testDocumentClient,
} from '../../support/dynamo.ts';
import { aroundCommands } from '../../support/sdk-middleware.ts';
import {
  type BeforeDelete,
  DAY_MS,
  EXACT_BUCKET_MS,
  seedSessions,
  type TestTable,
  watchDeletes,
} from '../../support/sweep.ts';
import { connectionReset, interceptWire } from '../../support/wire.ts';

const NOW = new Date('2026-10-10T10:00:00.000Z');
const CUTOFF = NOW.getTime() - 30 * DAY_MS;
const THROTTLE_RETRIES = 2;

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'rate exceeded', $metadata: {} });
const serverError = () => new InternalServerError({ message: 'internal server error', $metadata: {} });
/** Not a throttle: retrying would not help. */
const accessDenied = () =>
  Object.assign(new Error('not authorized to perform dynamodb:DeleteItem'), {
    name: 'AccessDeniedException',
    $metadata: { httpStatusCode: 400 },
  });

type Outcome = 'deleted' | 'skipped' | 'error';

interface Fault {
  fault: string;
  /** What happens to attempt `attempt` (1-based) of a DeleteItem of a faulty user before DynamoDB sees it. */
  before: (attempt: number, comeBack: () => Promise<void>) => void | Promise<void>;
  outcome: Outcome;
  attempts: number;
}

const FAULTS: Fault[] = [
  {
    fault: 'throttled once',
    before: (attempt) => {
      if (attempt === 1) throw throttled();
    },
    outcome: 'deleted',
    attempts: 2,
  },
  {
    fault: 'throttled until the last retry',
    before: (attempt) => {
      if (attempt <= THROTTLE_RETRIES) throw throttled();
    },
    outcome: 'deleted',
    attempts: THROTTLE_RETRIES + 1,
  },
  {
    fault: 'a server error once',
    before: (attempt) => {
      if (attempt === 1) throw serverError();
    },
    outcome: 'deleted',
    attempts: 2,
  },
  {
    fault: 'throttled on every attempt',
    before: () => {
      throw throttled();
    },
    outcome: 'error',
    attempts: THROTTLE_RETRIES + 1,
  },
  {
    fault: 'access denied',
    before: () => {
      throw accessDenied();
    },
    outcome: 'error',
    attempts: 1,
  },
  {
    fault: 'the user came back just before the delete',
    before: (_attempt, comeBack) => comeBack(),
    outcome: 'skipped',
    attempts: 1,
  },
];

const FAULTY = 6;
const HEALTHY = 24;
const LIVE = 6;

describe('sweepInactiveSessions', () => {
  describe('when deletes fail', () => {
    let table: TestTable;
    let doc: DynamoDBDocumentClient;
    let sessions: SessionRepository;
    beforeEach(async () => {
      table = await isolatedTable();
      doc = testDocumentClient();
      sessions = repositoryFor(doc, {
        tableName: table.tableName,
        activityBucketMs: EXACT_BUCKET_MS,
        clock: manualClock(NOW).clock,
      });
    });
    afterEach(async () => {
      doc.destroy();
      await table.drop();
    });

    /** Stores expired sessions for each group and a few live ones; returns the userIds by group. */
    async function store(groups: string[]) {
      const byGroup = new Map(
        groups.map((group) => [
          group,
          Array.from({ length: group === 'healthy' ? HEALTHY : FAULTY }, (_, index) => `${group}-${index}`),
        ]),
      );
      const live = Array.from({ length: LIVE }, (_, index) => `live-${index}`);
      const expiredSeeds = [...byGroup.values()].flat().map((userId, index) => ({
        userId,
        updatedAt: new Date(CUTOFF - 1 - index * 60_000),
      }));
      const liveSeeds = live.map((userId, index) => ({ userId, updatedAt: new Date(CUTOFF + index) }));
      const items = await seedSessions(doc, table.tableName, [...expiredSeeds, ...liveSeeds]);
      return { byGroup, live, items };
    }

    async function sweepWith(faults: Map<string, Fault>, concurrency: number) {
      const failed: { error: unknown; session: InactiveSession }[] = [];
      const sleeps: number[] = [];
      const groupOf = (userId: string) => userId.replace(/-\d+$/, '');
      const before: BeforeDelete = (userId, attempt) =>
        faults.get(groupOf(userId))?.before(attempt, async () => {
          await sessions.createOrGet(userId);
        });
      const deletes = watchDeletes(doc, before);
      const report = await sweepInactiveSessions(
        indexFor(doc, { tableName: table.tableName, activityBucketMs: EXACT_BUCKET_MS }),
        {
          inactiveDays: 30,
          dryRun: false,
          concurrency,
          now: NOW,
          remainingTimeMs: () => 900_000,
          safetyMarginMs: 10_000,
          throttleRetries: THROTTLE_RETRIES,
          onError: (error, session) => failed.push({ error, session }),
          sleep: async (ms) => {
            sleeps.push(ms);
          },
        },
      );
      return { report, failed, sleeps, deletes };
    }

    it.each(FAULTS)('with $fault, the session ends $outcome after $attempts attempt(s)', async (fault) => {
      // Prepare
      const { byGroup, live, items } = await store(['healthy', 'faulty']);
      const faulty = byGroup.get('faulty') ?? [];
      const healthy = byGroup.get('healthy') ?? [];

      // Act
      const { report, failed, deletes } = await sweepWith(new Map([['faulty', fault]]), 4);

      // Assess: the sweep went through every session, and its counts add up.
      const count = (outcome: Outcome) =>
        HEALTHY * Number(outcome === 'deleted') + FAULTY * Number(fault.outcome === outcome);
      expect(report).toMatchObject({
        examined: HEALTHY + FAULTY,
        deleted: count('deleted'),
        skipped: count('skipped'),
        errors: count('error'),
        complete: true,
      });
      expect(report.deleted + report.skipped + report.errors).toBe(report.examined);
      for (const userId of faulty) expect(deletes.attempts.get(userId), userId).toBe(fault.attempts);
      expect(failed.map((entry) => entry.session.userId).sort()).toEqual(
        fault.outcome === 'error' ? [...faulty].sort() : [],
      );
      // What is stored: healthy expired sessions are gone, live ones untouched; a faulty session is
      // still there unless its delete went through, and one whose user came back is live again.
      for (const userId of healthy)
        expect(await storedItem(doc, userId, table.tableName), userId).toBeUndefined();
      for (const userId of live) {
        expect(await storedItem(doc, userId, table.tableName), userId).toEqual(items.get(userId));
      }
      for (const userId of faulty) {
        const stored = await storedItem(doc, userId, table.tableName);
        if (fault.outcome === 'deleted') expect(stored, userId).toBeUndefined();
        if (fault.outcome === 'error') expect(stored, userId).toEqual(items.get(userId));
        if (fault.outcome === 'skipped')
          expect((await sessions.get(userId))?.updatedAt).toBe(NOW.toISOString());
      }
    });

    it("counts a delete whose answer was lost as skipped (the SDK's retry finds it gone), and deletes it once", async () => {
      // The price of never counting a delete twice when sweeps overlap (see deleteIfInactiveRequest).
      const { byGroup } = await store(['healthy']);
      const wire = interceptWire(doc, async (attempt) => {
        if (attempt.operation !== 'DeleteItem' || attempt.count > 1) return attempt.forward();
        await attempt.forward();
        throw connectionReset();
      });

      const { report } = await sweepWith(new Map(), 1).finally(() => wire.restore());

      expect(wire.count('DeleteItem')).toBe(HEALTHY + 1);
      expect(report).toMatchObject({ examined: HEALTHY, deleted: HEALTHY - 1, skipped: 1, errors: 0 });
      for (const userId of byGroup.get('healthy') ?? [])
        expect(await storedItem(doc, userId, table.tableName), userId).toBeUndefined();
    });

    it('retries a throttled delete with a growing, bounded back-off through the injected sleep', async () => {
      // Prepare
      await store(['healthy', 'faulty']);
      const alwaysThrottled = FAULTS.find((fault) => fault.fault === 'throttled on every attempt') as Fault;

      // Act
      const { sleeps } = await sweepWith(new Map([['faulty', alwaysThrottled]]), 1);

      // Assess: THROTTLE_RETRIES waits per faulty session, each within 50-100 % of min(2 s, 100 ms x 2^n).
      expect(sleeps).toHaveLength(FAULTY * THROTTLE_RETRIES);
      sleeps.forEach((ms, index) => {
        const ceiling = Math.min(2_000, 100 * 2 ** (index % THROTTLE_RETRIES));
        expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
        expect(ms).toBeLessThanOrEqual(ceiling);
      });
    });

    it('reports each failed delete to onError with the error and the index entry', async () => {
      // Prepare
      await store(['healthy', 'denied', 'throttled']);
      const faults = new Map([
        ['denied', FAULTS.find((fault) => fault.fault === 'access denied') as Fault],
        ['throttled', FAULTS.find((fault) => fault.fault === 'throttled on every attempt') as Fault],
      ]);

      // Act
      const { report, failed } = await sweepWith(faults, 8);

      // Assess: a throttle that outlasts the retries is UNAVAILABLE; anything else is passed on as is.
      expect(report.errors).toBe(2 * FAULTY);
      const errorOf = (group: string) =>
        failed.filter((entry) => entry.session.userId.startsWith(`${group}-`)).map((entry) => entry.error);
      expect(errorOf('throttled')).toHaveLength(FAULTY);
      for (const error of errorOf('throttled')) expect(error).toMatchObject({ code: 'UNAVAILABLE' });
      expect(errorOf('denied')).toHaveLength(FAULTY);
      for (const error of errorOf('denied')) expect(error).toMatchObject({ name: 'AccessDeniedException' });
      expect(failed.every((entry) => entry.session.updatedBucket < CUTOFF)).toBe(true);
    });

    it('finishes with every kind of fault at once, and deleted + skipped + errors = examined', async () => {
      // Prepare
      const groups = FAULTS.map((_, index) => `fault${index}`);
      await store(['healthy', ...groups]);
      const faults = new Map(groups.map((group, index) => [group, FAULTS[index] as Fault]));

      // Act
      const { report } = await sweepWith(faults, 8);

      // Assess
      const expected = (outcome: Outcome) =>
        FAULTS.filter((fault) => fault.outcome === outcome).length * FAULTY +
        (outcome === 'deleted' ? HEALTHY : 0);
      expect(report).toMatchObject({
        examined: HEALTHY + FAULTS.length * FAULTY,
        deleted: expected('deleted'),
        skipped: expected('skipped'),
        errors: expected('error'),
        complete: true,
      });
      expect(report.deleted + report.skipped + report.errors).toBe(report.examined);
    });

    it('keeps the partial report when reading the index fails partway, and the next run finishes', async () => {
      // Prepare: every index Query after the first 8 fails, as a lost DynamoDB would.
      const { byGroup } = await store(['healthy']);
      let queries = 0;
      const failing = aroundCommands(doc, async ({ operation, send }) => {
        if (operation === 'Query' && ++queries > 8)
          throw new InternalServerError({ message: 'down', $metadata: {} });
        return send();
      });

      // Act
      const failure = await sweepWith(new Map(), 4).catch((error: unknown) => error);
      failing.remove();
      const { report: second } = await sweepWith(new Map(), 4);

      // Assess
      expect(failure).toBeInstanceOf(SweepInterruptedError);
      expect(failure).toMatchObject({ code: 'UNAVAILABLE', cause: { code: 'UNAVAILABLE' } });
      const partial = (failure as SweepInterruptedError).report;
      expect(partial).toMatchObject({ complete: false, dryRun: false });
      expect(partial.deleted + partial.skipped + partial.errors).toBe(partial.examined);
      expect(partial.deleted + second.deleted).toBe(byGroup.get('healthy')?.length);
      expect(second.complete).toBe(true);
    });
  });
});
