/**
 * The shard backfill: moves every session's index entry to its shard under the current shard count at
 * once, for operators who cannot wait for sessions to move on their next write. Paced, resumable (run it
 * again: entries already in place cost only their read), and safe beside live traffic: each move is
 * conditional on the entry being unchanged since it was read.
 */

import { MAX_ACTIVITY_SHARDS } from '../config.ts';
import type { MoveOutcome, SessionIndex, ShardEntry } from './session-index.ts';

export interface BackfillOptions {
  /** Most moves a second (each is one UpdateItem: 1 WCU on the table, 2 on the index). */
  itemsPerSecond: number;
  /** Shard values to walk; every value up to MAX_ACTIVITY_SHARDS by default. */
  shards?: readonly number[];
  /** Count what would move, and move nothing. */
  dryRun?: boolean;
  /** Called for every move that failed; the backfill goes on. */
  onError?: (error: unknown, entry: ShardEntry) => void;
  /** Called after each shard value with the report so far. */
  onShard?: (shard: number, report: BackfillReport) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface BackfillReport {
  /** Index entries read. examined = moved + unchanged + skipped + errors (outside a dry run). */
  examined: number;
  moved: number;
  unchanged: number;
  /** Entries a write moved between the read and the move: already where their writer put them. */
  skipped: number;
  errors: number;
  consumedReadCapacity: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function backfillShards(
  sessions: SessionIndex,
  options: BackfillOptions,
): Promise<BackfillReport> {
  if (!(options.itemsPerSecond > 0)) {
    throw new RangeError(`itemsPerSecond must be positive, got ${options.itemsPerSecond}`);
  }
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const report: BackfillReport = {
    examined: 0,
    moved: 0,
    unchanged: 0,
    skipped: 0,
    errors: 0,
    consumedReadCapacity: 0,
  };
  const started = now();
  let requests = 0;
  const shards = options.shards ?? Array.from({ length: MAX_ACTIVITY_SHARDS }, (_, shard) => shard);
  for (const shard of shards) {
    for await (const page of sessions.shardEntryPages(shard)) {
      report.consumedReadCapacity += page.consumedReadCapacity;
      for (const entry of page.entries) {
        report.examined++;
        if (options.dryRun) {
          if (sessions.currentShardOf(entry.userId) !== entry.activityShard) report.moved++;
          else report.unchanged++;
          continue;
        }
        // Pace the writes: the n-th move starts no earlier than n / itemsPerSecond after the start.
        const due = started + (requests * 1000) / options.itemsPerSecond;
        if (due > now()) await sleep(due - now());
        let outcome: MoveOutcome | 'error';
        try {
          outcome = await sessions.moveToCurrentShard(entry);
        } catch (error) {
          outcome = 'error';
          options.onError?.(error, entry);
        }
        if (outcome !== 'unchanged') requests++;
        report[outcome === 'error' ? 'errors' : outcome]++;
      }
    }
    options.onShard?.(shard, report);
  }
  return report;
}
