import { describe, expect, it } from 'vitest';
import { mergeAsync } from '../../../lib/sweep/merge-async.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source that yields `values`, waiting `delayMs` before each, and records whether it was closed. */
function source<T>(values: T[], delayMs = 0, failAt?: number) {
  const state = { closed: false };
  async function* generate() {
    try {
      for (const [index, value] of values.entries()) {
        await tick(delayMs);
        if (index === failAt) throw new Error(`source failed at ${index}`);
        yield value;
      }
    } finally {
      state.closed = true;
    }
  }
  return { iterator: generate(), state };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterable) values.push(value);
  return values;
}

describe('mergeAsync', () => {
  it('yields every value of every source', async () => {
    const merged = await collect(mergeAsync([source([1, 2, 3]).iterator, source([4, 5]).iterator]));
    expect(merged.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('ends at once with no sources', async () => {
    expect(await collect(mergeAsync([]))).toEqual([]);
  });

  it('does not let a slow source hold back a fast one', async () => {
    const merged = await collect(
      mergeAsync([source(['slow'], 50).iterator, source(['fast1', 'fast2'], 1).iterator]),
    );
    expect(merged).toEqual(['fast1', 'fast2', 'slow']);
  });

  it('ends the whole merge on the first error and closes the other sources', async () => {
    const healthy = source([1, 2, 3, 4, 5], 5);
    const failing = source([1, 2], 1, 1);
    await expect(collect(mergeAsync([healthy.iterator, failing.iterator]))).rejects.toThrow(
      'source failed at 1',
    );
    expect(healthy.state.closed).toBe(true);
  });

  it('closes every source when the consumer stops early', async () => {
    const sources = [source([1, 2, 3], 1), source([4, 5, 6], 1)];
    for await (const value of mergeAsync(sources.map((entry) => entry.iterator))) {
      expect(value).toBeDefined();
      break;
    }
    expect(sources.every((entry) => entry.state.closed)).toBe(true);
  });
});
