/**
 * The inactive-session sweep: garbage collection for sessions that expiry already hides. It reads the
 * sharded `byUpdatedAt` index below the cutoff (never the table) and deletes each candidate with a
 * conditional DeleteItem, so a user who came back after the index read keeps their session.
 */
import { inactiveCutoff } from './clock.ts';
import { UnavailableError } from './errors.ts';
import type { InactiveSession, SessionRepository } from './session-repository.ts';

export interface SweepOptions {
  inactiveDays: number;
  dryRun: boolean;
  /** Deletes in flight at once. */
  concurrency: number;
  now: Date;
  /** The shard values this run sweeps (a worker's share); every shard when absent. */
  shards?: readonly number[];
  /** Milliseconds left before the Lambda deadline; the sweep stops cleanly `safetyMarginMs` before it. */
  remainingTimeMs: () => number;
  safetyMarginMs: number;
  /** Extra attempts for a delete that is still throttled after the SDK's own retries. */
  throttleRetries?: number;
  /** Called for every delete that failed for good; the sweep goes on. */
  onError?: (error: unknown, session: InactiveSession) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface SweepReport {
  cutoff: string;
  /** Index entries read and acted on. Outside a dry run, deleted + skipped + errors = examined. */
  examined: number;
  deleted: number;
  /** Sessions that became active again between the index read and their delete. */
  skipped: number;
  errors: number;
  /** False when the sweep stopped early to meet its deadline; the next run carries on. */
  complete: boolean;
  durationMs: number;
  dryRun: boolean;
  /** Read capacity that DynamoDB charged for the index queries. */
  consumedReadCapacity: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sweepInactiveSessions(
  sessions: SessionRepository,
  options: SweepOptions,
): Promise<SweepReport> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1, got ${options.concurrency}`);
  }
  const started = Date.now();
  const cutoff = inactiveCutoff(options.now, options.inactiveDays);
  const sleep = options.sleep ?? defaultSleep;
  const report: SweepReport = {
    cutoff,
    examined: 0,
    deleted: 0,
    skipped: 0,
    errors: 0,
    complete: true,
    durationMs: 0,
    dryRun: options.dryRun,
    consumedReadCapacity: 0,
  };
  const outOfTime = () => options.remainingTimeMs() < options.safetyMarginMs;

  async function remove(session: InactiveSession): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        report[await sessions.deleteIfInactive(session.userId, cutoff)]++;
        return;
      } catch (error) {
        if (error instanceof UnavailableError && attempt < (options.throttleRetries ?? 3) && !outOfTime()) {
          await sleep(Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
          continue;
        }
        report.errors++;
        options.onError?.(error, session);
        return;
      }
    }
  }

  const inFlight = new Set<Promise<void>>();
  try {
    pages: for await (const page of sessions.inactivePages(cutoff, { shards: options.shards })) {
      report.consumedReadCapacity += page.consumedReadCapacity;
      for (const session of page.sessions) {
        if (outOfTime()) {
          report.complete = false;
          break pages;
        }
        report.examined++;
        if (options.dryRun) continue;
        while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
        const task: Promise<void> = remove(session).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
  } catch (error) {
    // The index could not be read further: what was done so far still belongs in the log and metrics.
    report.complete = false;
    if (typeof error === 'object' && error !== null) partialReports.set(error, report);
    throw error;
  } finally {
    await Promise.all(inFlight);
    report.durationMs = Date.now() - started;
  }
  return report;
}

const partialReports = new WeakMap<object, SweepReport>();

/** The report of a sweep that `error` interrupted (an index read that failed), if it was one. */
export function partialReportOf(error: unknown): SweepReport | undefined {
  return typeof error === 'object' && error !== null ? partialReports.get(error) : undefined;
}
