/**
 * Section 3: what the inactive-session sweep costs as the table grows, next to the Scan-based baseline.
 * Every table holds the same expired sessions and differs only in how many live ones it has; the index
 * sweep and the baseline each get their own, identically seeded, table of every size.
 */

import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { ensureSessionsTable, localDynamoClient } from '../../lib/local/embedded-dynamodb.ts';
import { activityTimes, inactiveCutoff } from '../../lib/store/clock.ts';
import { createDocumentClient } from '../../lib/store/dynamodb.ts';
import { SessionIndex } from '../../lib/sweep/session-index.ts';
import { type SweepOptions, sweepInactiveSessions } from '../../lib/sweep/sweep.ts';
import { newSessionItem } from '../support/items.ts';
import { itemBytes, observeRequests, putItems, readUnits } from './dynamo.ts';
import { scanSweep } from './scan-sweep-baseline.ts';
import { median } from './stats.ts';

const INACTIVE_DAYS = 30;
const DAY_S = 24 * 60 * 60;

export type SweepMethod = 'index sweep' | 'Scan baseline';

export interface SweepCostOptions {
  endpoint: string;
  sizes: readonly [small: number, large: number];
  expired: number;
  /** Runs of each table; the expired sessions are written back after every run. */
  rounds: number;
  log?: (line: string) => void;
}

export interface SweepRow {
  method: SweepMethod;
  tableSize: number;
  expired: number;
  /** Median over the rounds, wall clock of the whole sweep. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Index entries the sweep examined, or items the Scan read. */
  itemsRead: number;
  deleted: number;
  /** DynamoDB requests of one run: reads (Query or Scan pages) and deletes. */
  readRequests: number;
  deleteRequests: number;
  /** Read capacity as the endpoint reported it (ConsumedCapacity, TOTAL), one run. */
  reportedRcu: number;
  /** Read capacity by DynamoDB's rules from the bytes read, one run. */
  modelledRcu: number;
}

export interface SweepRatios {
  method: SweepMethod;
  reportedRcu: number;
  modelledRcu: number;
  time: number;
}

export interface SweepCostResult {
  rows: SweepRow[];
  /** Large table over small table, for each method. */
  ratios: SweepRatios[];
  seedMs: number;
  /** Mean bytes of one byUpdatedAt entry (KEYS_ONLY: userId, activityShard, updatedAt). */
  indexEntryBytes: number;
}

type Item = Record<string, unknown>;

/** A fixed-width, deterministic session id, so every table of a size holds byte-identical items. */
const sessionId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/**
 * `size` sessions shaped like `newSessionItem`: the first `expired` inactive for 31 to 90 days, the
 * others active within the last 29 days. Identical for every table that uses the same `now`.
 */
export function sweepFixture(size: number, expired: number, now: Date): { expired: Item[]; live: Item[] } {
  const at = (userId: string, secondsAgo: number) =>
    activityTimes(new Date(now.getTime() - secondsAgo * 1000), INACTIVE_DAYS, { userId });
  const item = (userId: string, i: number, secondsAgo: number) =>
    newSessionItem(userId, sessionId(i), 'Website', at(userId, secondsAgo)) as unknown as Item;
  return {
    expired: Array.from({ length: expired }, (_, i) =>
      item(`gone-${i}`, i, (31 + (i % 60)) * DAY_S + ((i * 7_919) % DAY_S)),
    ),
    live: Array.from({ length: size - expired }, (_, i) =>
      item(`live-${i}`, expired + i, (i * 104_729) % (29 * DAY_S)),
    ),
  };
}

/** The sweep as the scheduled function runs it: serverless.yml's concurrency, a 300 s timeout. */
function sweepOptions(now: Date): SweepOptions {
  return {
    inactiveDays: INACTIVE_DAYS,
    dryRun: false,
    concurrency: 16,
    now,
    remainingTimeMs: () => 300_000,
    safetyMarginMs: 10_000,
  };
}

interface Target {
  method: SweepMethod;
  size: number;
  table: string;
  expired: Item[];
  tableBytes: number;
  runs: {
    ms: number;
    itemsRead: number;
    deleted: number;
    readRequests: number;
    deleteRequests: number;
    reportedRcu: number;
    modelledRcu: number;
  }[];
}

export async function measureSweepCost(options: SweepCostOptions): Promise<SweepCostResult> {
  const log = options.log ?? (() => undefined);
  const now = new Date();
  const cutoff = inactiveCutoff(now, INACTIVE_DAYS);
  const doc = createDocumentClient({ endpoint: options.endpoint });
  const observed = observeRequests(doc);
  const sessions = (table: string) =>
    new SessionIndex(doc, { tableName: table, inactiveDays: INACTIVE_DAYS });

  const seedStarted = performance.now();
  const targets: Target[] = [];
  for (const size of options.sizes) {
    const fixture = sweepFixture(size, options.expired, now);
    const all = [...fixture.expired, ...fixture.live];
    const tableBytes = all.reduce((total, item) => total + itemBytes(item), 0);
    for (const method of ['index sweep', 'Scan baseline'] as const) {
      const table = `bench-sweep-${method === 'index sweep' ? 'index' : 'scan'}-${size}`;
      log(`  seeding ${table} with ${size} sessions`);
      await ensureSessionsTable(options.endpoint, table);
      await putItems(doc, table, all);
      targets.push({ method, size, table, expired: fixture.expired, tableBytes, runs: [] });
    }
  }
  const seedMs = performance.now() - seedStarted;

  // One unmeasured run of each method on the small tables, so the first measured one is not also the
  // first to run that code.
  for (const target of targets.filter((candidate) => candidate.size === options.sizes[0])) {
    if (target.method === 'index sweep')
      await sweepInactiveSessions(sessions(target.table), sweepOptions(now));
    else await scanSweep(doc, target.table, cutoff);
    await putItems(doc, target.table, target.expired);
  }

  for (let round = 0; round < options.rounds; round++) {
    // Alternate the order, so neither size nor method always runs first on a warmer process.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      observed.reset();
      const started = performance.now();
      let itemsRead: number;
      let deleted: number;
      let reportedRcu: number;
      if (target.method === 'index sweep') {
        const report = await sweepInactiveSessions(sessions(target.table), sweepOptions(now));
        if (!report.complete || report.errors > 0) throw new Error(`sweep of ${target.table} did not finish`);
        ({ examined: itemsRead, deleted, consumedReadCapacity: reportedRcu } = report);
      } else {
        const report = await scanSweep(doc, target.table, cutoff);
        ({ scanned: itemsRead, matched: deleted, consumedReadCapacity: reportedRcu } = report);
      }
      const ms = performance.now() - started;
      if (deleted !== options.expired) {
        throw new Error(
          `${target.method} on ${target.table} deleted ${deleted}, expected ${options.expired}`,
        );
      }
      const requests = observed.seen;
      const reads = requests.filter((request) => request.command === 'Query' || request.command === 'Scan');
      const modelledRcu =
        target.method === 'index sweep'
          ? reads.reduce(
              (total, page) =>
                total +
                readUnits(
                  page.items.reduce((bytes, entry) => bytes + itemBytes(entry), 0),
                  false,
                ),
              0,
            )
          : // A Scan is charged for every item it reads, before the filter: the whole table.
            readUnits(target.tableBytes, false);
      target.runs.push({
        ms,
        itemsRead,
        deleted,
        readRequests: reads.length,
        deleteRequests: requests.length - reads.length,
        reportedRcu,
        modelledRcu,
      });
      log(`  round ${round + 1}: ${target.method}, ${target.size} sessions: ${ms.toFixed(0)} ms`);
      // Write the expired sessions back, so the next round starts from the same table.
      await putItems(doc, target.table, target.expired);
    }
  }
  doc.destroy();
  // Drop the tables: dynalite keeps them in this process's heap, where later sections run too.
  const admin = localDynamoClient(options.endpoint);
  for (const target of targets) await admin.send(new DeleteTableCommand({ TableName: target.table }));
  admin.destroy();

  const rows = targets.map((target): SweepRow => {
    const times = target.runs.map((run) => run.ms);
    const last = target.runs.at(-1);
    if (!last) throw new Error('no sweep run');
    return {
      method: target.method,
      tableSize: target.size,
      expired: options.expired,
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      itemsRead: median(target.runs.map((run) => run.itemsRead)),
      deleted: last.deleted,
      readRequests: median(target.runs.map((run) => run.readRequests)),
      deleteRequests: median(target.runs.map((run) => run.deleteRequests)),
      reportedRcu: median(target.runs.map((run) => run.reportedRcu)),
      modelledRcu: median(target.runs.map((run) => run.modelledRcu)),
    };
  });
  const ratios = (['index sweep', 'Scan baseline'] as const).map((method): SweepRatios => {
    const [small, large] = options.sizes.map((size) =>
      rows.find((row) => row.method === method && row.tableSize === size),
    );
    if (!small || !large) throw new Error(`missing sweep rows for ${method}`);
    return {
      method,
      reportedRcu: large.reportedRcu / small.reportedRcu,
      modelledRcu: large.modelledRcu / small.modelledRcu,
      time: large.medianMs / small.medianMs,
    };
  });
  const entries = sweepFixture(options.expired, options.expired, now).expired.map((item) =>
    itemBytes({ userId: item.userId, activityShard: item.activityShard, updatedAt: item.updatedAt }),
  );
  return { rows, ratios, seedMs, indexEntryBytes: entries.reduce((a, b) => a + b, 0) / entries.length };
}
