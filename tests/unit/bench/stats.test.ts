import { describe, expect, it } from 'vitest';
import { medianInterval } from '../../bench/stats.ts';

describe('medianInterval', () => {
  it('brackets the median with the order statistics n/2 ± 1.96·√n/2, in any input order', () => {
    // Prepare: 1..30, shuffled.
    const samples = Array.from({ length: 30 }, (_, index) => ((index * 7) % 30) + 1);

    // Act
    const interval = medianInterval(samples);

    // Assess: the 10th smallest and the 10th largest.
    expect(interval).toEqual({ median: 15, low: 10, high: 21 });
  });

  it('widens to the whole range for a handful of samples, and is NaN for none', () => {
    expect(medianInterval([3, 1, 2])).toEqual({ median: 2, low: 1, high: 3 });
    expect(medianInterval([])).toEqual({ median: Number.NaN, low: Number.NaN, high: Number.NaN });
  });

  it('holds the true median in about 95% of samples of a known distribution', () => {
    // Prepare: a fixed-seed uniform generator; the true median of U(0, 1) is 0.5.
    let state = 12_345;
    const next = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };

    // Act
    let covered = 0;
    for (let trial = 0; trial < 2_000; trial++) {
      const { low, high } = medianInterval(Array.from({ length: 30 }, next));
      if (low <= 0.5 && 0.5 <= high) covered++;
    }

    // Assess
    expect(covered / 2_000).toBeGreaterThan(0.93);
    expect(covered / 2_000).toBeLessThan(0.99);
  });
});
