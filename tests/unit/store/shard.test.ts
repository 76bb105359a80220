import { describe, expect, it } from 'vitest';
import { activityShardOf } from '../../../lib/store/shard.ts';

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
