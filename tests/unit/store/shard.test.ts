import { describe, expect, it } from 'vitest';
import { inactiveBucketBound } from '../../../lib/store/clock.ts';
import { activityBucketStart, activityShardOf } from '../../../lib/store/shard.ts';

/** The shard count the stored values below were computed for. */
const ACTIVITY_SHARDS = 16;

describe('activityShardOf', () => {
  // Fixed values: a change to the hash would strand every stored session on the wrong shard.
  it.each([
    ['wa:+447700900123', 5],
    ['web:abc', 15],
    ['', 0x811c9dc5 % ACTIVITY_SHARDS],
  ])('is stable for %j', (userId, expected) => {
    expect(activityShardOf(userId, ACTIVITY_SHARDS)).toBe(expected);
  });

  it('hashes the UTF-8 bytes, so one character in two Unicode forms may land apart', () => {
    expect(activityShardOf('\u00e9', ACTIVITY_SHARDS)).toBe(1);
    expect(activityShardOf('e\u0301', ACTIVITY_SHARDS)).toBe(15);
  });

  it('stays within range', () => {
    for (let index = 0; index < 1000; index++) {
      const shard = activityShardOf(`user-${index}`, ACTIVITY_SHARDS);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(ACTIVITY_SHARDS);
    }
  });
});

describe('activityShardOf over many users', () => {
  it('is stable and within range', () => {
    expect(activityShardOf('wa:+447700900123', ACTIVITY_SHARDS)).toBe(
      activityShardOf('wa:+447700900123', ACTIVITY_SHARDS),
    );
    for (let index = 0; index < 1000; index++) {
      const shard = activityShardOf(`user-${index}`, ACTIVITY_SHARDS);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(ACTIVITY_SHARDS);
    }
  });

  it('spreads users evenly over the shards', () => {
    const counts = new Array(16).fill(0);
    for (let index = 0; index < 16_000; index++) counts[activityShardOf(`wa:+4477${index}`, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

describe('activityBucketStart and inactiveBucketBound', () => {
  const HOUR = 3_600_000;
  const instants = Array.from({ length: 500 }, (_, index) => Date.UTC(2026, 10, 26) + index * 7_919_017);

  it.each([1, 60_000, HOUR, 24 * HOUR])(
    'puts every instant in a bucket of %d ms that starts at most at it',
    (bucket) => {
      for (const [index, at] of instants.entries()) {
        const userId = `wa:+4477009${index}`;
        const start = activityBucketStart(userId, new Date(at), bucket);
        expect(start).toBeLessThanOrEqual(at);
        expect(at - start).toBeLessThan(bucket);
        // The same bucket for every instant inside it.
        expect(activityBucketStart(userId, new Date(start + bucket - 1), bucket)).toBe(start);
      }
    },
  );

  it('bounds the sweep query so that every entry below it was inactive at the cutoff, and none is missed a bucket later', () => {
    const cutoff = Date.UTC(2026, 9, 27, 10);
    for (const [index, at] of instants.entries()) {
      const userId = `web:${index}`;
      const start = activityBucketStart(userId, new Date(cutoff - HOUR + (at % (2 * HOUR))), HOUR);
      const exact = cutoff - HOUR + (at % (2 * HOUR));
      const found = start < inactiveBucketBound(new Date(cutoff).toISOString(), HOUR);
      if (found) expect(exact).toBeLessThan(cutoff);
      if (exact < cutoff - HOUR) expect(found).toBe(true);
      // A run one bucket later finds every session expired at this cutoff.
      if (exact < cutoff)
        expect(start < inactiveBucketBound(new Date(cutoff + HOUR).toISOString(), HOUR)).toBe(true);
    }
    expect(inactiveBucketBound('2026-10-27T10:00:00.000Z', 1)).toBe(Date.parse('2026-10-27T10:00:00.000Z'));
  });
});
