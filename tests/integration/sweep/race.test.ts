/**
 * The sweep against writers, Jepsen-style: a seeded plan of touches (createOrGet and update) runs against
 * the embedded DynamoDB while sweeps run at the same time with a cutoff that cuts right through the
 * sessions' last activity. Every operation's outcome is recorded as it resolves, and the stored state at
 * the end of each phase is checked against what the history allows.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionItem } from '../../../lib/store/item.ts';
import type { SessionRepository } from '../../../lib/store/session-repository.ts';
import type { SessionIndex } from '../../../lib/sweep/session-index.ts';
import { type SweepReport, sweepInactiveSessions } from '../../../lib/sweep/sweep.ts';
import {
  indexFor,
  isolatedTable,
  manualClock,
  repositoryFor,
  testDocumentClient,
} from '../../support/dynamo.ts';
import {
  DAY_MS,
  EXACT_BUCKET_MS,
  seededRandom,
  seedSessions,
  type TestTable,
  watchDeletes,
} from '../../support/sweep.ts';

const INACTIVE_DAYS = 30;
const WINDOW_MS = INACTIVE_DAYS * DAY_MS;
const USERS = 64;
const WRITERS = 4;
const OPS_PER_WRITER = 32;
const SWEEPERS = 2;
const SWEEPS_PER_SWEEPER = 2;
/** Phase 1 starts when the cutoff is EDGE; seeds sit within 60 ms of it. */
const EDGE = new Date('2026-05-02T00:00:00.000Z').getTime();

type Random = ReturnType<typeof seededRandom>;
type Snapshot = Map<string, SessionItem | undefined>;

interface PlannedTouch {
  userId: string;
  kind: 'createOrGet' | 'update';
  /** Milliseconds the clock moves before the touch. */
  advanceMs: number;
}

/** What one touch came to, recorded when its promise settled. */
type Outcome =
  | { status: 'acknowledged'; sessionId: string; updatedAt: string }
  /** A definite no-op: update found no live session and changed nothing. */
  | { status: 'not-found' }
  /** Anything else (a timeout, say): the write may or may not have happened. */
  | { status: 'indeterminate'; error: unknown };

interface PhaseResult {
  outcomes: Map<string, Outcome[]>;
  sweeps: SweepReport[];
  /** The sessions each applied DeleteItem removed, with its cutoff. */
  applied: { userId: string; cutoff: string }[];
}

function planTouches(random: Random, users: readonly string[]): PlannedTouch[][] {
  const hot = users.filter(() => random.chance(0.5));
  return Array.from({ length: WRITERS }, () =>
    Array.from({ length: OPS_PER_WRITER }, () => ({
      userId: random.pick(hot),
      kind: random.chance(0.6) ? ('createOrGet' as const) : ('update' as const),
      advanceMs: random.chance(0.5) ? 1 : 0,
    })),
  );
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** Runs the writers and the sweepers of one phase at once, from the clock's current instant. */
async function runPhase(
  random: Random,
  users: readonly string[],
  sessions: SessionRepository,
  index: SessionIndex,
  time: ReturnType<typeof manualClock>,
  deletes: ReturnType<typeof watchDeletes>,
): Promise<PhaseResult> {
  const plan = planTouches(random, users);
  const sweepStarts = Array.from({ length: SWEEPERS }, () =>
    Array.from({ length: SWEEPS_PER_SWEEPER }, () => ({
      afterOps: random.int(0, WRITERS * OPS_PER_WRITER * 0.8),
      concurrency: random.int(1, 8),
    })).sort((a, b) => a.afterOps - b.afterOps),
  );
  const outcomes = new Map<string, Outcome[]>(users.map((userId) => [userId, []]));
  const sweeps: SweepReport[] = [];
  const appliedBefore = deletes.applied.length;
  let settledOps = 0;

  const writers = plan.map(async (touches, writer) => {
    for (const [index, touch] of touches.entries()) {
      time.advanceMs(touch.advanceMs);
      let outcome: Outcome;
      try {
        const session =
          touch.kind === 'createOrGet'
            ? (await sessions.createOrGet(touch.userId)).session
            : await sessions.update(touch.userId, { context: { [`writer${writer}`]: index } });
        outcome = { status: 'acknowledged', sessionId: session.sessionId, updatedAt: session.updatedAt };
      } catch (error) {
        const notFound = touch.kind === 'update' && (error as { code?: unknown }).code === 'NOT_FOUND';
        outcome = notFound ? { status: 'not-found' } : { status: 'indeterminate', error };
      }
      outcomes.get(touch.userId)?.push(outcome);
      settledOps++;
    }
  });
  const sweepers = sweepStarts.map(async (starts) => {
    for (const start of starts) {
      await waitUntil(() => settledOps >= start.afterOps);
      sweeps.push(
        await sweepInactiveSessions(index, {
          inactiveDays: INACTIVE_DAYS,
          dryRun: false,
          concurrency: start.concurrency,
          now: time.clock(),
          remainingTimeMs: () => 900_000,
          safetyMarginMs: 10_000,
        }),
      );
    }
  });
  await Promise.all([...writers, ...sweepers]);
  return { outcomes, sweeps, applied: deletes.applied.slice(appliedBefore) };
}

/** Every stored item of the test's own table, read consistently (a test may scan; the sweep may not). */
async function snapshot(doc: DynamoDBDocumentClient, tableName: string, users: readonly string[]) {
  const stored = new Map<string, SessionItem>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) stored.set(String(item.userId), item as SessionItem);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  expect([...stored.keys()].every((userId) => users.includes(userId))).toBe(true);
  return new Map(users.map((userId) => [userId, stored.get(userId)])) as Snapshot;
}

/** Checks the state after a phase against the state before it and the phase's history. */
function assessPhase(before: Snapshot, after: Snapshot, phase: PhaseResult) {
  // Every sweep ran to the end, and its counts add up.
  for (const report of phase.sweeps) {
    expect(report).toMatchObject({ complete: true, errors: 0 });
    expect(report.deleted + report.skipped + report.errors).toBe(report.examined);
  }
  const maxCutoff =
    phase.sweeps
      .map((report) => report.cutoff)
      .sort()
      .at(-1) ?? '';
  // The reports count exactly the deletes DynamoDB applied; no session was deleted twice, and each
  // deleted one was the stored version from before the phase, already past that sweep's cutoff.
  expect(phase.sweeps.reduce((sum, report) => sum + report.deleted, 0)).toBe(phase.applied.length);
  expect(new Set(phase.applied.map((entry) => entry.userId)).size).toBe(phase.applied.length);
  for (const { userId, cutoff } of phase.applied) {
    expect(before.get(userId)?.updatedAt, userId).toBeDefined();
    expect((before.get(userId)?.updatedAt ?? '') < cutoff, userId).toBe(true);
  }

  for (const [userId, outcomes] of phase.outcomes) {
    const stored = after.get(userId);
    const acknowledged = outcomes.flatMap((outcome) => (outcome.status === 'acknowledged' ? [outcome] : []));
    if (acknowledged.length > 0) {
      // A user whose touch was acknowledged has one live session, the one every touch returned.
      expect(stored, `${userId} was touched but is missing`).toBeDefined();
      expect(new Set(acknowledged.map((outcome) => outcome.sessionId)), userId).toEqual(
        new Set([stored?.sessionId]),
      );
      expect((stored?.updatedAt ?? '') >= maxCutoff, userId).toBe(true);
      continue;
    }
    if (outcomes.some((outcome) => outcome.status === 'indeterminate')) continue;
    // Nobody touched it in this phase (an update that found nothing changes nothing).
    const previous = before.get(userId);
    if (previous === undefined || previous.updatedAt < maxCutoff) {
      expect(
        stored,
        `${userId} expired untouched at ${previous?.updatedAt} but was not swept`,
      ).toBeUndefined();
    } else {
      expect(stored, `${userId} was live and untouched`).toEqual(previous);
    }
  }
}

describe('sweepInactiveSessions', () => {
  describe('racing writers', () => {
    let table: TestTable;
    let doc: DynamoDBDocumentClient;
    beforeEach(async () => {
      table = await isolatedTable();
      doc = testDocumentClient();
    });
    afterEach(async () => {
      doc.destroy();
      await table.drop();
    });

    it.each([7, 42, 2024, 65_537])(
      'keeps every session touched inside the window and removes every one left expired (seed %i)',
      async (seed) => {
        // Prepare: most sessions within 60 ms either side of the edge, a few far on either side.
        const random = seededRandom(seed);
        const users = Array.from({ length: USERS }, (_, index) => `user-${seed}-${index}`);
        const seeds = users.map((userId, index) => {
          const offset =
            index % 8 === 0
              ? -random.int(1, 100) * DAY_MS
              : index % 8 === 1
                ? random.int(1, 29) * DAY_MS
                : random.int(-60, 60);
          return { userId, updatedAt: new Date(EDGE + offset) };
        });
        await seedSessions(doc, table.tableName, seeds);
        const deletes = watchDeletes(doc);
        const time = manualClock(new Date(EDGE + WINDOW_MS));
        const sessions = repositoryFor(doc, {
          tableName: table.tableName,
          activityBucketMs: EXACT_BUCKET_MS,
          clock: time.clock,
        });
        const index = indexFor(doc, { tableName: table.tableName, activityBucketMs: EXACT_BUCKET_MS });
        const initial = await snapshot(doc, table.tableName, users);

        // Act: phase 1 at the seeds' edge; phase 2 thirty days later, when the edge cuts through the
        // touches of phase 1 (made from EDGE + 30 days on, while the clock moved on by up to 128 ms).
        const phase1 = await runPhase(random, users, sessions, index, time, deletes);
        const middle = await snapshot(doc, table.tableName, users);
        time.set(new Date(EDGE + 2 * WINDOW_MS + 40));
        const phase2 = await runPhase(random, users, sessions, index, time, deletes);
        const end = await snapshot(doc, table.tableName, users);

        // Assess
        assessPhase(initial, middle, phase1);
        assessPhase(middle, end, phase2);
        // The run exercised what it claims to: expired sessions were swept in both phases, and some
        // users came back to an expired session and got a new one.
        expect(phase1.applied.length).toBeGreaterThan(0);
        expect(phase2.applied.length).toBeGreaterThan(0);
        const renewed = users.filter((userId) => {
          const first = initial.get(userId)?.sessionId;
          const last = end.get(userId)?.sessionId;
          return last !== undefined && last !== first;
        });
        expect(renewed.length).toBeGreaterThan(0);
      },
    );
  });
});
