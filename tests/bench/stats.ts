/** Small statistics for noisy machines: nearest-rank percentiles, medians and ratios of medians. */

/** The p-th percentile (0-100) by the nearest-rank method; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** A median with its 95% confidence interval. */
export interface Interval {
  median: number;
  low: number;
  high: number;
}

/**
 * The median of `samples` and a distribution-free 95% confidence interval for it: the order statistics
 * whose ranks are n/2 ± 1.96·√n/2 (the binomial's normal approximation), which assumes nothing about
 * the shape of the noise. Needs at least 6 samples to be narrower than the whole range.
 */
export function medianInterval(samples: readonly number[]): Interval {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: Number.NaN, low: Number.NaN, high: Number.NaN };
  const half = (1.96 * Math.sqrt(n)) / 2;
  const low = sorted[Math.max(0, Math.floor(n / 2 - half))] as number;
  const high = sorted[Math.min(n - 1, Math.ceil(n / 2 + half) - 1)] as number;
  return { median: median(sorted), low, high };
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
  };
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Milliseconds taken by `action`, measured with the monotonic clock. */
export async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await action();
  return { ms: performance.now() - started, result };
}
