/** The budgets, and the one place that decides whether a run meets them. */
import { SDK_ONLY } from './cold-start.ts';
import type { BenchResult } from './report.ts';
import { scaling } from './sweep-throughput.ts';

export const BUDGETS = {
  /** Handler p50 over the raw DynamoDB call's p50, per operation. */
  handlerP50Ratio: 1.15,
  /** DynamoDB requests per handler call on the common path. */
  requestsPerOperation: 1,
  /** Sweep on the large table over the small one. */
  sweepReadCapacityRatio: 1.5,
  sweepTimeRatio: 2,
  /** Minified bundle of every function, in KiB (1 KiB = 1,024 bytes). */
  bundleKiB: 400,
  /** Import time of every function bundle over the SDK-only bundle's, p50. */
  importRatio: 1.25,
  /** Failed requests (connection errors, timeouts, non-2xx) under load: none. */
  loadFailures: 0,
  /** Sweep throughput of 4 workers over 1, at 20 ms per DynamoDB request. */
  sweepWorkerSpeedup: 3,
  sweepSpeedupLatencyMs: 20,
  /** Modelled WCU per write of a typical conversation (15 writes in 10 minutes). */
  conversationWcuPerWrite: 1.3,
} as const;

export interface BudgetCheck {
  name: string;
  /** The worst figure of the run, and where it was seen. */
  figure: string;
  limit: string;
  pass: boolean;
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);

function worst<T>(items: readonly T[], score: (item: T) => number): T {
  const found = items.reduce<T | undefined>(
    (best, item) => (best === undefined || score(item) > score(best) ? item : best),
    undefined,
  );
  if (found === undefined) throw new Error('nothing to judge');
  return found;
}

export function evaluateBudgets(result: BenchResult): BudgetCheck[] {
  const checks: BudgetCheck[] = [];

  const slowest = worst(result.overhead.overhead, (row) => row.ratioP50);
  checks.push({
    name: 'Handler overhead: p50 handler / p50 raw DynamoDB call',
    figure: `${fixed(slowest.ratioP50)} (${slowest.operation})`,
    limit: `≤ ${BUDGETS.handlerP50Ratio}`,
    pass: result.overhead.overhead.every((row) => row.ratioP50 <= BUDGETS.handlerP50Ratio),
  });

  const off = result.overhead.requests.filter(
    (row) =>
      row.minRequests !== BUDGETS.requestsPerOperation || row.maxRequests !== BUDGETS.requestsPerOperation,
  );
  const calls = result.overhead.requests.reduce((total, row) => total + row.calls, 0);
  checks.push({
    name: 'DynamoDB requests per handler call (common path)',
    figure:
      off.length === 0
        ? `exactly 1 in all ${calls.toLocaleString('en-US')} calls`
        : off.map((row) => `${row.operation}: ${row.minRequests}–${row.maxRequests}`).join('; '),
    limit: `= ${BUDGETS.requestsPerOperation}`,
    pass: off.length === 0,
  });

  const sweep = result.sweep.ratios.find((ratio) => ratio.method === 'index sweep');
  if (!sweep) throw new Error('no sweep ratio');
  const [small, large] = result.plan.sweep.sizes.map((size) => size.toLocaleString('en-US'));
  const capacityRatio = Math.max(sweep.reportedRcu, sweep.modelledRcu);
  checks.push({
    name: `Sweep read capacity, ${large} / ${small} sessions (larger of reported and modelled)`,
    figure: fixed(capacityRatio),
    limit: `≤ ${BUDGETS.sweepReadCapacityRatio}`,
    pass: capacityRatio <= BUDGETS.sweepReadCapacityRatio,
  });
  checks.push({
    name: `Sweep time (p50), ${large} / ${small} sessions`,
    figure: fixed(sweep.time),
    limit: `≤ ${BUDGETS.sweepTimeRatio}`,
    pass: sweep.time <= BUDGETS.sweepTimeRatio,
  });

  const functions = result.coldStart.rows.filter((row) => row.name !== SDK_ONLY);
  const largest = worst(functions, (row) => row.bytes);
  checks.push({
    name: 'Function bundle size (minified)',
    figure: `${fixed(largest.bytes / 1024, 1)} KiB (${largest.name})`,
    limit: `≤ ${BUDGETS.bundleKiB} KiB`,
    pass: functions.every((row) => row.bytes <= BUDGETS.bundleKiB * 1024),
  });
  const slowestImport = worst(functions, (row) => row.deployed.ratioToSdk);
  checks.push({
    name: 'Bundle import time (p50) / SDK-only bundle',
    figure: `${fixed(slowestImport.deployed.ratioToSdk)} (${slowestImport.name})`,
    limit: `≤ ${BUDGETS.importRatio}`,
    pass: functions.every((row) => row.deployed.ratioToSdk <= BUDGETS.importRatio),
  });

  if (result.sweepThroughput) {
    const { workers, speedup } = scaling(result.sweepThroughput, BUDGETS.sweepSpeedupLatencyMs);
    checks.push({
      name: `Sweep throughput, ${workers} workers / 1 worker, ${BUDGETS.sweepSpeedupLatencyMs} ms per request`,
      figure: `${fixed(speedup)}×`,
      limit: `≥ ${BUDGETS.sweepWorkerSpeedup}×`,
      pass: workers >= 4 && speedup >= BUDGETS.sweepWorkerSpeedup,
    });
  }
  if (result.writeCost) {
    const perWrite = result.writeCost.writeCost.conversationExpectedWcuPerWrite;
    checks.push({
      name: 'Write cost of a typical conversation (modelled, 15 writes in 10 minutes)',
      figure: `${fixed(perWrite)} WCU per write`,
      limit: `≤ ${BUDGETS.conversationWcuPerWrite}`,
      pass: perWrite <= BUDGETS.conversationWcuPerWrite,
    });
  }

  if (result.load) {
    const failures = result.load.reduce((total, row) => total + row.errors + row.non2xx, 0);
    checks.push({
      name: 'Local stack under load: errors and non-2xx answers',
      figure: String(failures),
      limit: `= ${BUDGETS.loadFailures}`,
      pass: failures === BUDGETS.loadFailures,
    });
  }
  return checks;
}
