/**
 * The inactive-session sweep: garbage collection for sessions that expiry already hides. It reads the
 * sharded `byUpdatedAt` index below the cutoff (never the table) and deletes each candidate with a
 * conditional DeleteItem, so a user who came back after the index read keeps their session.
 */

import { UnavailableError } from '../errors.ts';
import { inactiveCutoff } from '../store/clock.ts';
import type { InactiveSession, SessionIndex } from './session-index.ts';

/** What the sweep needs of the index: the index pages below a cutoff, and a conditional delete. */
export type SweepIndex = Pick<SessionIndex, 'inactivePages' | 'deleteIfInactive'>;

export interface SweepOptions {
  inactiveDays: number;
  dryRun: boolean;
  /** Deletes in flight at once. */
  concurrency: number;
  now: Date;
  /** Milliseconds left before the Lambda deadline. */
  remainingTimeMs: () => number;
  /**
   * The sweep starts no request once less than this is left, and stops reading the index: it must
   * cover the worst case of one request with its retries, plus `reportReserveMs`.
   */
  safetyMarginMs: number;
  /**
   * Requests still in flight are aborted once less than this is left, which is kept to log and
   * publish the report. Defaults to 1 s (at most `safetyMarginMs`).
   */
  reportReserveMs?: number;
  /** Extra attempts for a delete that is still throttled after the SDK's own retries. */
  throttleRetries?: number;
  /** Called for every delete that failed for good (aborted at the deadline included); the sweep goes on. */
  onError?: (error: unknown, session: InactiveSession) => void;
  /** This worker's share of the index's shard values; every shard value when omitted. */
  shards?: readonly number[] | undefined;
  /** Waits between throttle retries; should end early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
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

/**
 * The sweep stopped because the index could not be read further. It carries what the sweep did until
 * then (`report`, with `complete: false`), so that the log and metrics still get it; `cause` is the
 * failed read.
 */
export class SweepInterruptedError extends UnavailableError {
  override readonly name = 'SweepInterruptedError';
  readonly report: SweepReport;

  constructor(report: SweepReport, options?: ErrorOptions) {
    super('the sweep stopped early: the session index could not be read further', options);
    this.report = report;
  }
}

export const DEFAULT_REPORT_RESERVE_MS = 1_000;

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Deletes the sessions inactive for longer than `inactiveDays` at `now` and reports what it did. It
 * returns before the deadline however DynamoDB behaves: it stops starting requests `safetyMarginMs`
 * before it, and aborts those still in flight `reportReserveMs` before it. A run that stopped early
 * reports `complete: false`; the next run carries on. If the index cannot be read further, it throws a
 * SweepInterruptedError holding the report so far.
 */
export async function sweepInactiveSessions(
  sessions: SweepIndex,
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
  // Two deadlines, as timers, so that they fire even while the sweep waits on a request: at the safety
  // margin the index reads stop (no page read after it would be acted on), and at the report reserve
  // every request still in flight is aborted.
  const stopReading = new AbortController();
  const abortRequests = new AbortController();
  const reserveMs = Math.min(options.reportReserveMs ?? DEFAULT_REPORT_RESERVE_MS, options.safetyMarginMs);
  const remaining = options.remainingTimeMs();
  // setTimeout fires at once for a delay past 2^31 - 1 ms; no Lambda runs that long.
  const after = (ms: number) => Math.min(Math.max(0, ms), 2 ** 31 - 1);
  const timers = [
    setTimeout(() => stopReading.abort(), after(remaining - options.safetyMarginMs)),
    setTimeout(() => abortRequests.abort(), after(remaining - reserveMs)),
  ];
  const stopped = () => stopReading.signal.aborted || abortRequests.signal.aborted;

  async function remove(session: InactiveSession): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await sessions.deleteIfInactive(session.userId, cutoff, {
          signal: abortRequests.signal,
        });
        report[outcome]++;
        return;
      } catch (error) {
        const retry = error instanceof UnavailableError && attempt < (options.throttleRetries ?? 3);
        if (retry && !stopped() && !outOfTime()) {
          await sleep(Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2), abortRequests.signal);
          if (!abortRequests.signal.aborted) continue;
        }
        report.errors++;
        options.onError?.(error, session);
        return;
      }
    }
  }

  const inFlight = new Set<Promise<void>>();
  let readFailure: { error: unknown } | undefined;
  try {
    pages: for await (const page of sessions.inactivePages(cutoff, {
      shards: options.shards,
      signal: stopReading.signal,
    })) {
      report.consumedReadCapacity += page.consumedReadCapacity;
      for (const session of page.sessions) {
        // Waits for a free slot first: the deadline may pass while it waits.
        while (!options.dryRun && inFlight.size >= options.concurrency) await Promise.race(inFlight);
        if (stopped() || outOfTime()) {
          report.complete = false;
          // Ends the index reads still in flight, which `break` would otherwise wait for.
          stopReading.abort();
          break pages;
        }
        report.examined++;
        if (options.dryRun) continue;
        const task: Promise<void> = remove(session).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
  } catch (error) {
    report.complete = false;
    // A read aborted at the safety margin is the deadline doing its work, not a failure.
    if (!stopReading.signal.aborted) readFailure = { error };
  } finally {
    await Promise.all(inFlight);
    for (const timer of timers) clearTimeout(timer);
    report.durationMs = Date.now() - started;
  }
  // The index could not be read further: what was done so far still belongs in the log and metrics.
  if (readFailure) throw new SweepInterruptedError(report, { cause: readFailure.error });
  return report;
}
