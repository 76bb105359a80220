import { DEFAULT_ACTIVITY_BUCKET_MS, DEFAULT_ACTIVITY_SHARDS } from '../config.ts';
import { type Clock, systemClock } from './clock.ts';

/** What the repository and the sweep's index reader take: the table and its time and shard settings. */
export interface StoreOptions {
  tableName: string;
  /** Days without activity after which a session is gone for every operation. */
  inactiveDays: number;
  clock?: Clock;
  /** Shards of the `byUpdatedAt` index that writes use (config `activityShards`). */
  activityShards?: number;
  /** Length of an activity bucket in milliseconds (config `activityBucketMs`). */
  activityBucketMs?: number;
}

/** The options with every default filled in. */
export function storeSettings(options: StoreOptions): Required<StoreOptions> {
  return {
    tableName: options.tableName,
    inactiveDays: options.inactiveDays,
    clock: options.clock ?? systemClock,
    activityShards: options.activityShards ?? DEFAULT_ACTIVITY_SHARDS,
    activityBucketMs: options.activityBucketMs ?? DEFAULT_ACTIVITY_BUCKET_MS,
  };
}
