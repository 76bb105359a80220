/**
 * What the sweep's proofs share: seeding stored sessions fast, watching (and faulting) the DeleteItem
 * requests the sweep sends, and a fake Lambda context. Nothing here replaces DynamoDB: every request
 * that is not deliberately faulted reaches the embedded one.
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { activityTimes } from '../../lib/clock.ts';
import type { SessionItem } from '../../lib/session.ts';
import { newSessionItem } from '../../lib/session-requests.ts';
import type { isolatedTable } from '../support/dynamo.ts';
import { lambdaContext as sharedLambdaContext } from '../support/lambda-events.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

export type TestTable = Awaited<ReturnType<typeof isolatedTable>>;

/** A session to store as if its last activity happened at `updatedAt`. */
export interface Seed {
  userId: string;
  updatedAt: Date;
}

/**
 * Stores each seed exactly as the repository's createOrGet would have stored it at `updatedAt`
 * (`newSessionItem`), 25 to a BatchWriteItem with `parallel` batches in flight. Returns the items by userId.
 */
export async function seedSessions(
  doc: DynamoDBDocumentClient,
  tableName: string,
  seeds: readonly Seed[],
  options: { inactiveDays?: number; parallel?: number } = {},
): Promise<Map<string, SessionItem>> {
  const items = new Map(
    seeds.map((seed) => [
      seed.userId,
      newSessionItem(
        seed.userId,
        randomUUID(),
        'Website',
        activityTimes(seed.updatedAt, options.inactiveDays ?? 30),
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
 * Wraps the real client's `send` so that every DeleteItem is seen: `before` may throw a fault for chosen
 * users (DynamoDB is then never asked) or do something first (a user coming back). Records the attempts
 * per user and the deletes DynamoDB actually applied. Every other command passes through untouched.
 */
export function watchDeletes(doc: DynamoDBDocumentClient, before?: BeforeDelete) {
  const attempts = new Map<string, number>();
  const applied: AppliedDelete[] = [];
  const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
  (doc as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command) => {
    if (!(command instanceof DeleteCommand)) return send(command);
    const userId = String(command.input.Key?.userId);
    const attempt = (attempts.get(userId) ?? 0) + 1;
    attempts.set(userId, attempt);
    await before?.(userId, attempt);
    const output = await send(command);
    applied.push({ userId, cutoff: String(command.input.ExpressionAttributeValues?.[':cutoff']) });
    return output;
  };
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
 * tests/faults/wire.ts) instead. An SDK middleware in the deserialize step, which runs once per attempt,
 * below the retry layer: the client's real timeouts, backoff and abort signal decide what happens.
 */
export function stopAnswering(
  doc: DynamoDBDocumentClient,
  port: number,
  after: { operation: string; count: number },
) {
  let seen = 0;
  let stoppedAt: number | undefined;
  doc.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string>; hostname: string; port?: number };
      const operation = String(request.headers['x-amz-target'] ?? '').replace(/^.*\./, '');
      if (stoppedAt === undefined && operation === after.operation && ++seen > after.count) {
        stoppedAt = Date.now();
      }
      if (stoppedAt !== undefined) {
        request.hostname = '127.0.0.1';
        request.port = port;
      }
      return next(args);
    },
    { step: 'deserialize', name: 'testStopAnswering' },
  );
  return {
    /** When DynamoDB stopped answering (epoch ms), if it has. */
    get stoppedAt() {
      return stoppedAt;
    },
  };
}
