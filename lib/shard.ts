/**
 * The ceiling of shard values: the sweep covers every value below it, whatever count sessions were
 * written under, so the live count can change up to it without a table-wide rewrite.
 */
export const MAX_ACTIVITY_SHARDS = 128;

/** Number of write shards of the `byUpdatedAt` index. Changing it requires re-writing every item. */
export const ACTIVITY_SHARDS = 16;

/**
 * The index shard of a user: FNV-1a over the UTF-8 bytes of `userId`, modulo the shard count.
 * Stable across processes and versions, so a session always lands on the same shard.
 */
export function activityShardOf(userId: string, shardCount: number = ACTIVITY_SHARDS): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(userId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shardCount;
}
