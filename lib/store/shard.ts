/**
 * Where a session's `byUpdatedAt` index entry lives: its shard (the index's partition key) and its
 * activity bucket (the index's sort key, `updatedBucket`). Both come from `userId` alone, so they are stable across
 * processes and versions.
 */
import { MAX_ACTIVITY_SHARDS } from '../config.ts';

/** FNV-1a (32 bit) over the UTF-8 bytes of `text`. */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The index shard of a user under `shardCount` shards: FNV-1a over the UTF-8 bytes of `userId`, modulo
 * the count. The same user and count always give the same shard.
 */
export function activityShardOf(userId: string, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_ACTIVITY_SHARDS) {
    throw new RangeError(
      `shardCount must be a whole number from 1 to ${MAX_ACTIVITY_SHARDS}, got ${shardCount}`,
    );
  }
  return fnv1a(userId) % shardCount;
}

/**
 * Where a user's activity buckets start, in milliseconds into a bucket. Each user gets a fixed offset,
 * so bucket boundaries are spread over the bucket's length: with one boundary for everybody, every
 * active session would move its index entry in the same minute after it.
 */
function activityBucketOffsetMs(userId: string, bucketMs: number): number {
  // Another seed than the shard's, so the offset does not follow the shard, and a final mix (MurmurHash3's
  // fmix32), since ids that differ only in their last characters differ little in FNV-1a's low bits.
  let hash = fnv1a(userId, 0x050c5d1f);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b) >>> 0;
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35) >>> 0;
  return ((hash ^ (hash >>> 16)) >>> 0) % bucketMs;
}

/**
 * The start of the user's activity bucket that holds `at`, in epoch milliseconds: at most `at`, and more
 * than `at - bucketMs`. Stored as `updatedBucket`, the index's sort key, it changes at most once per bucket.
 */
export function activityBucketStart(userId: string, at: Date, bucketMs: number): number {
  const offset = activityBucketOffsetMs(userId, bucketMs);
  return Math.floor((at.getTime() - offset) / bucketMs) * bucketMs + offset;
}
