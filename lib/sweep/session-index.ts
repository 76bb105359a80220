/**
 * The `byUpdatedAt` index as the sweep and the shard backfill use it: pages of inactive entries per
 * shard, the sweep's conditional delete, and moves of entries between shards. The session operations
 * never read the index; this is its only reader.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { MAX_ACTIVITY_SHARDS } from '../config.ts';
import { type Clock, inactiveBucketBound, inactiveCutoff } from '../store/clock.ts';
import { isConditionFailed, translateDynamoError } from '../store/dynamo-errors.ts';
import { activityShardOf } from '../store/shard.ts';
import { type StoreOptions, storeSettings } from '../store/store-options.ts';
import {
  deleteIfInactiveRequest,
  inactiveEntryOf,
  inactiveQueryRequest,
  moveToShardRequest,
  shardEntriesRequest,
  shardEntryOf,
} from './index-requests.ts';
import { interleavePages, type PagedSource } from './interleave.ts';

export interface SessionIndexOptions extends StoreOptions {
  /** Entries per page of a shard's inactive entries; INACTIVE_PAGE_LIMIT by default. */
  pageLimit?: number;
}

/** Which index shards a read of inactive sessions covers. */
export interface InactivePagesOptions {
  /** Shard values to read, each from 0 to MAX_ACTIVITY_SHARDS - 1; every shard value when omitted. */
  shards?: readonly number[] | undefined;
  /** Aborts the reads in flight, retries included. */
  signal?: AbortSignal | undefined;
}

/** Shards read at once: enough to keep a sweep's deletes fed, few enough not to burst the table. */
const SHARD_READS_IN_FLIGHT = 16;

/**
 * Entries per page of a shard's inactive entries. The round-robin needs a page of every shard in
 * memory (and one read ahead), so pages are smaller than DynamoDB's 1 MB (about 16,900 KEYS_ONLY
 * entries); a Query costs at least 0.5 RCU whatever its Limit, so pages are not much smaller: 1,000
 * entries of about 62 bytes cost 8 RCU, and the rounding adds at most 0.5 RCU per 1,000 deletes.
 */
export const INACTIVE_PAGE_LIMIT = 1_000;

/** Every shard value any shard count can produce: what a sweep with no share covers. */
const ALL_SHARD_VALUES: readonly number[] = Array.from({ length: MAX_ACTIVITY_SHARDS }, (_, shard) => shard);

/** An index entry of a session that has been inactive longer than the window. */
export interface InactiveSession {
  userId: string;
  /** The index's sort key: the start of the last activity bucket, in epoch milliseconds. */
  updatedBucket: number;
}

/**
 * Index entries in the order of the round-robin over the shards, with the read capacity DynamoDB
 * charged for the pages read for them.
 */
export interface InactivePage {
  sessions: InactiveSession[];
  consumedReadCapacity: number;
}

export type SweepOutcome = 'deleted' | 'skipped';

/** An index entry as the index holds it: where the session sits now. */
export interface ShardEntry {
  userId: string;
  activityShard: number;
  updatedBucket: number;
}

/** One page of a shard's index entries, with the read capacity DynamoDB charged for it. */
export interface ShardEntryPage {
  entries: ShardEntry[];
  consumedReadCapacity: number;
}

/** `moved`; `unchanged`: already on its shard under the current count; `skipped`: written meanwhile. */
export type MoveOutcome = 'moved' | 'unchanged' | 'skipped';

/** Reads and maintains the `byUpdatedAt` index; one DynamoDB request per page, delete or move. */
export class SessionIndex {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #inactiveDays: number;
  readonly #clock: Clock;
  readonly #activityShards: number;
  readonly #activityBucketMs: number;
  readonly #pageLimit: number;

  constructor(doc: DynamoDBDocumentClient, options: SessionIndexOptions) {
    const settings = storeSettings(options);
    this.#doc = doc;
    this.#table = settings.tableName;
    this.#inactiveDays = settings.inactiveDays;
    this.#clock = settings.clock;
    this.#activityShards = settings.activityShards;
    this.#activityBucketMs = settings.activityBucketMs;
    this.#pageLimit = options.pageLimit ?? INACTIVE_PAGE_LIMIT;
  }

  /**
   * Every session inactive for longer than `inactiveDays` at `now`, read from the `byUpdatedAt` index
   * on all shards at once. Never scans the table. Index reads are eventually consistent.
   */
  async *findInactive(
    options: { inactiveDays?: number; now?: Date } = {},
  ): AsyncGenerator<InactiveSession, void, undefined> {
    const cutoff = inactiveCutoff(options.now ?? this.#clock(), options.inactiveDays ?? this.#inactiveDays);
    for await (const page of this.inactivePages(cutoff)) yield* page.sessions;
  }

  /**
   * The entries behind `findInactive`, for an exact cutoff, with their read capacity. Reads the given
   * shard values (all MAX_ACTIVITY_SHARDS by default, so sessions written under any shard count are
   * found) below `inactiveBucketBound(cutoff)`: every entry returned was inactive at `cutoff`, and one
   * that expired less than one activity bucket before it is returned by a later call. Entries come
   * round-robin over the shards, one shard's entry after another's, so that whoever acts on them in order
   * spreads its writes evenly over the index's partitions. `signal` aborts the reads in flight (with
   * their retries): the sweep's deadline.
   */
  inactivePages(
    cutoff: string,
    options: InactivePagesOptions = {},
  ): AsyncGenerator<InactivePage, void, undefined> {
    const shards = options.shards ?? ALL_SHARD_VALUES;
    for (const shard of shards) {
      if (!Number.isInteger(shard) || shard < 0 || shard >= MAX_ACTIVITY_SHARDS) {
        throw new RangeError(`shard values run from 0 to ${MAX_ACTIVITY_SHARDS - 1}, got ${shard}`);
      }
    }
    const bound = inactiveBucketBound(cutoff, this.#activityBucketMs);
    // The shard values writes use now come first and are waited for; the others (sessions written under
    // an earlier, larger count: usually none) join the rotation when their pages arrive.
    const inUse = (shard: number) => shard < this.#activityShards;
    const ordered = [...new Set(shards)].sort((a, b) => Number(inUse(b)) - Number(inUse(a)) || a - b);
    return this.#batches(
      ordered.map((shard) => ({
        pages: this.#shardPages(shard, bound, options.signal),
        late: !inUse(shard),
      })),
    );
  }

  /**
   * Deletes a session only if it is still inactive at `cutoff`; one conditional DeleteItem. `signal`
   * aborts it in flight, retries included; the delete may then have been applied or not.
   */
  async deleteIfInactive(
    userId: string,
    cutoff: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<SweepOutcome> {
    try {
      await this.#send(new DeleteCommand(deleteIfInactiveRequest(this.#table, userId, cutoff)), {
        abortSignal: options.signal,
      });
      return 'deleted';
    } catch (error) {
      if (isConditionFailed(error)) return 'skipped';
      throw error;
    }
  }

  /** Every index entry of one shard value, page by page (the shard backfill's read). */
  async *shardEntryPages(shard: number): AsyncGenerator<ShardEntryPage, void, undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#send(new QueryCommand(shardEntriesRequest(this.#table, shard, startKey)));
      yield {
        entries: (page.Items ?? []).map(shardEntryOf),
        consumedReadCapacity: page.ConsumedCapacity?.CapacityUnits ?? 0,
      };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** The shard a write of `userId` uses under the current shard count. */
  currentShardOf(userId: string): number {
    return activityShardOf(userId, this.#activityShards);
  }

  /**
   * Moves a session's index entry to its shard under the current count, if the entry is unchanged since
   * it was read; one conditional UpdateItem, none when it is already there.
   */
  async moveToCurrentShard(entry: ShardEntry): Promise<MoveOutcome> {
    const target = this.currentShardOf(entry.userId);
    if (target === entry.activityShard) return 'unchanged';
    try {
      await this.#send(new UpdateCommand(moveToShardRequest(this.#table, entry.userId, entry, target)));
      return 'moved';
    } catch (error) {
      if (isConditionFailed(error)) return 'skipped';
      throw error;
    }
  }

  async *#batches(sources: PagedSource<InactiveSession>[]): AsyncGenerator<InactivePage, void, undefined> {
    for await (const batch of interleavePages(sources, SHARD_READS_IN_FLIGHT)) {
      yield { sessions: batch.items, consumedReadCapacity: batch.consumedReadCapacity };
    }
  }

  async *#shardPages(
    shard: number,
    bucketBound: number,
    signal?: AbortSignal,
  ): AsyncGenerator<{ items: InactiveSession[]; consumedReadCapacity: number }, void, undefined> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#send(
        new QueryCommand(inactiveQueryRequest(this.#table, shard, bucketBound, startKey, this.#pageLimit)),
        { abortSignal: signal },
      );
      yield {
        items: (page.Items ?? []).map(inactiveEntryOf),
        consumedReadCapacity: page.ConsumedCapacity?.CapacityUnits ?? 0,
      };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** Sends one request; transport failures and throttling become UnavailableError, the rest is untouched. */
  #send = ((
    command: Parameters<DynamoDBDocumentClient['send']>[0],
    options?: { abortSignal?: AbortSignal | undefined },
  ) =>
    this.#doc.send(command, options).catch((error: unknown) => {
      throw translateDynamoError(error);
    })) as DynamoDBDocumentClient['send'];
}
