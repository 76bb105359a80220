/**
 * What the sweep's proofs share: seeding stored sessions fast, watching (and faulting) the DeleteItem
 * requests the sweep sends, and a fake Lambda context. Nothing here replaces DynamoDB: every request
 * that is not deliberately faulted reaches the embedded one.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchWriteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { activityTimes } from '../../lib/store/clock.ts';
import type { SessionItem } from '../../lib/store/item.ts';
import type { isolatedTable } from './dynamo.ts';
import { newSessionItem } from './items.ts';
import { lambdaContext as sharedLambdaContext } from './lambda-events.ts';
import { aroundAttempts, aroundCommands } from './sdk-middleware.ts';

export { DAY_MS } from '../../lib/store/clock.ts';

export type TestTable = Awaited<ReturnType<typeof isolatedTable>>;

/**
 * The activity bucket of the sweep's proofs: with 1 ms buckets the index holds each session's exact
 * last activity, so a sweep removes a session the moment it passes the cutoff and these proofs can
 * place sessions on either side of it. tests/integration/sweep/bucket.test.ts proves the hour-long bucket.
 */
export const EXACT_BUCKET_MS = 1;

/** A session to store as if its last activity happened at `updatedAt`. */
export interface Seed {
  userId: string;
  updatedAt: Date;
}

/**
 * Stores each seed exactly as the repository's createOrGet would have stored it at `updatedAt`
 * (`newSessionItem`, with EXACT_BUCKET_MS buckets unless told), 25 to a BatchWriteItem with `parallel` batches in flight. Returns the items by userId.
 */
export async function seedSessions(
  doc: DynamoDBDocumentClient,
  tableName: string,
  seeds: readonly Seed[],
  options: {
    inactiveDays?: number;
    parallel?: number;
    activityShards?: number;
    activityBucketMs?: number;
  } = {},
): Promise<Map<string, SessionItem>> {
  const items = new Map(
    seeds.map((seed) => [
      seed.userId,
      newSessionItem(
        seed.userId,
        randomUUID(),
        'Website',
        activityTimes(seed.updatedAt, options.inactiveDays ?? 30, {
          userId: seed.userId,
          activityShards: options.activityShards,
          activityBucketMs: options.activityBucketMs ?? EXACT_BUCKET_MS,
        }),
      ),
    ]),
  );
  const batches: SessionItem[][] = [];
  const all = [...items.values()];
  for (let start = 0; start < all.length; start += 25) batches.push(all.slice(start, start + 25));

  async function write(batch: SessionItem[]): Promise<void> {
    let requests = batch.map((item) => ({
      PutRequest: { Item: item as unknown as Record<string, unknown> },
    }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await doc.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
      );
      requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }
  const workers = Array.from({ length: options.parallel ?? 4 }, async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) await write(batch);
  });
  await Promise.all(workers);
  return items;
}

/** One DeleteItem that DynamoDB carried out. */
export interface AppliedDelete {
  userId: string;
  /** The `:cutoff` the conditional delete was sent with. */
  cutoff: string;
}

/** Runs before a DeleteItem reaches DynamoDB; throwing fails that attempt without sending it. */
export type BeforeDelete = (userId: string, attempt: number) => void | Promise<void>;

/**
 * Watches every DeleteItem the client sends (tests/support/sdk-middleware.ts): `before` may throw a fault
 * for chosen users (DynamoDB is then never asked, and no retry runs) or do something first (a user coming
 * back). Records the attempts per user and the deletes DynamoDB actually applied. Every other command
 * passes through untouched.
 */
export function watchDeletes(doc: DynamoDBDocumentClient, before?: BeforeDelete) {
  const attempts = new Map<string, number>();
  const applied: AppliedDelete[] = [];
  aroundCommands(doc, async ({ operation, input, send }) => {
    if (operation !== 'DeleteItem') return send();
    const { Key, ExpressionAttributeValues } = input as DeleteCommandInput;
    const userId = String(Key?.userId);
    const attempt = (attempts.get(userId) ?? 0) + 1;
    attempts.set(userId, attempt);
    await before?.(userId, attempt);
    const output = await send();
    applied.push({ userId, cutoff: String(ExpressionAttributeValues?.[':cutoff']) });
    return output;
  });
  return {
    attempts,
    applied,
    /** How many times DynamoDB applied a delete to each user that was deleted at least once. */
    appliedPerUser(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const { userId } of applied) counts.set(userId, (counts.get(userId) ?? 0) + 1);
      return counts;
    },
  };
}

/** A Lambda context for an in-process invocation of the sweep, with 15 minutes left by default. */
export const lambdaContext = (remainingMs: () => number = () => 900_000): Context =>
  sharedLambdaContext(remainingMs, 'session-service-test-sweep');

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** A whole number from `min` to `max`, both included. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability: number) => next() < probability,
    pick: <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T,
  };
}

/**
 * A DynamoDB that stops answering mid-run: once `after.count` attempts of `after.operation` (DeleteItem,
 * Query…) have gone through, every later attempt of any operation goes to `port` (a black hole, see
 * tests/support/black-hole.ts) instead. Installed with `aroundAttempts`, once per attempt, below the
 * retry layer: the client's real timeouts, backoff and abort signal decide what happens.
 */
export function stopAnswering(
  doc: DynamoDBDocumentClient,
  port: number,
  after: { operation: string; count: number },
) {
  let seen = 0;
  let stoppedAt: number | undefined;
  aroundAttempts(doc, ({ operation, request, forward }) => {
    if (stoppedAt === undefined && operation === after.operation && ++seen > after.count) {
      stoppedAt = Date.now();
    }
    if (stoppedAt !== undefined) {
      const target = request as unknown as { hostname: string; port?: number };
      target.hostname = '127.0.0.1';
      target.port = port;
    }
    return forward();
  });
  return {
    /** When DynamoDB stopped answering (epoch ms), if it has. */
    get stoppedAt() {
      return stoppedAt;
    },
  };
}
