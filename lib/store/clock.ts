import { DEFAULT_ACTIVITY_BUCKET_MS, DEFAULT_ACTIVITY_SHARDS } from '../config.ts';
import { activityBucketStart, activityShardOf } from './shard.ts';

/** Returns the current time; injected so tests can move time across the inactivity window. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** One day in milliseconds: the unit of the inactivity window. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Where a user's activity puts the session's `byUpdatedAt` index entry. */
export interface IndexPlacement {
  userId: string;
  /** The shard count writes use now (1 to MAX_ACTIVITY_SHARDS); DEFAULT_ACTIVITY_SHARDS if omitted. */
  activityShards?: number | undefined;
  /** The length of an activity bucket, in milliseconds; DEFAULT_ACTIVITY_BUCKET_MS if omitted. */
  activityBucketMs?: number | undefined;
}

/** The instants that follow from one activity at `now` with an inactivity window of `inactiveDays`. */
export interface ActivityTimes {
  /** The activity itself, as an ISO-8601 UTC string with milliseconds: stored as `updatedAt`. */
  updatedAt: string;
  /** The start of the user's activity bucket that holds it, in epoch milliseconds: `updatedBucket`. */
  updatedBucket: number;
  /** The index shard of the user under the current shard count: stored as `activityShard`. */
  activityShard: number;
  /** A session whose `updatedAt` is older than this is inactive. */
  cutoff: string;
  /** Epoch seconds for DynamoDB's TTL: a day past expiry, only a backstop for the sweep. */
  purgeAt: number;
}

export function activityTimes(now: Date, inactiveDays: number, placement: IndexPlacement): ActivityTimes {
  const nowMs = now.getTime();
  const windowMs = inactiveDays * DAY_MS;
  return {
    updatedAt: now.toISOString(),
    updatedBucket: activityBucketStart(
      placement.userId,
      now,
      placement.activityBucketMs ?? DEFAULT_ACTIVITY_BUCKET_MS,
    ),
    activityShard: activityShardOf(placement.userId, placement.activityShards ?? DEFAULT_ACTIVITY_SHARDS),
    cutoff: inactiveCutoff(now, inactiveDays),
    purgeAt: Math.floor((nowMs + windowMs + DAY_MS) / 1000),
  };
}

/** The `updatedAt` below which a session is inactive at `now`. */
export function inactiveCutoff(now: Date, inactiveDays: number): string {
  return new Date(now.getTime() - inactiveDays * DAY_MS).toISOString();
}

/**
 * The bound of the sweep's index query for an exact `cutoff`, in epoch milliseconds like `updatedBucket`.
 * Times are whole milliseconds and a bucket that starts at `b` holds activities up to
 * `b + activityBucketMs - 1`, so every entry whose bucket starts before `cutoff - activityBucketMs + 1`
 * belongs to a session last active before `cutoff`: the query returns no live session. A session that
 * expired less than one bucket before `cutoff` is found by a later run. With a 1 ms bucket the bound is
 * the cutoff itself.
 */
export function inactiveBucketBound(cutoff: string, activityBucketMs: number): number {
  return Date.parse(cutoff) - activityBucketMs + 1;
}
