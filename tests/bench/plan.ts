/** How much work each mode does. The full run writes docs/BENCHMARKS.md; the check only gates. */
import {
  SWEEP_THROUGHPUT_CHECK,
  SWEEP_THROUGHPUT_FULL,
  type SweepThroughputOptions,
} from './sweep-throughput.ts';

export interface Plan {
  mode: 'full' | 'check';
  handler: { iterations: number; warmup: number; capacitySamples: number };
  /** Table sizes (small, large) with the same number of expired sessions in each. */
  sweep: { sizes: readonly [number, number]; expired: number; rounds: number };
  coldStart: { processes: number; withoutSourceMaps: boolean };
  load: { connections: number; durationS: number; patchUsers: number } | undefined;
  /** Sweep workers against a stub DynamoDB with network latency. */
  sweepThroughput: Omit<SweepThroughputOptions, 'log'>;
  /** Generated user ids of each shape for the shard distribution; undefined skips it. */
  shardDistribution: { idsPerShape: number } | undefined;
}

export const FULL_PLAN: Plan = {
  mode: 'full',
  handler: { iterations: 2_000, warmup: 200, capacitySamples: 20 },
  sweep: { sizes: [10_000, 100_000], expired: 1_000, rounds: 5 },
  coldStart: { processes: 20, withoutSourceMaps: true },
  load: { connections: 50, durationS: 10, patchUsers: 5_000 },
  sweepThroughput: SWEEP_THROUGHPUT_FULL,
  shardDistribution: { idsPerShape: 1_000_000 },
};

/**
 * The reduced run. The sweep keeps the full run's 1,000 expired sessions, so its own work (and time)
 * is the same as in the full run, and grows the table 5x (2,000 to 10,000) instead of 10x: a sweep
 * that read the whole table would show about 5x, still far above the 1.5x and 2x budgets. Shrinking
 * the expired sessions to 100 instead would keep a 10x table ratio, but leave a sweep so short that
 * timer noise decides its time ratio.
 */
export const CHECK_PLAN: Plan = {
  mode: 'check',
  handler: { iterations: 500, warmup: 100, capacitySamples: 10 },
  sweep: { sizes: [2_000, 10_000], expired: 1_000, rounds: 3 },
  coldStart: { processes: 30, withoutSourceMaps: false },
  load: undefined,
  // Only the budgeted latency and worker counts; the distribution is deterministic and has no budget.
  sweepThroughput: SWEEP_THROUGHPUT_CHECK,
  shardDistribution: undefined,
};
