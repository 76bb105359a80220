/**
 * `npm run backfill -- --items-per-second <n> [--dry-run] [--shards <from>-<to>]`: moves every session's
 * index entry to its shard under ACTIVITY_SHARDS now, instead of on each session's next write. Reads
 * TABLE_NAME, ACTIVITY_SHARDS and (locally) DYNAMODB_ENDPOINT like the functions do; AWS credentials and
 * region come from the usual SDK sources. Prints one JSON progress line per shard value and the report.
 */
import { parseArgs } from 'node:util';
import { loadConfig, MAX_ACTIVITY_SHARDS } from '../config.ts';
import { createDocumentClient } from '../store/dynamodb.ts';
import { backfillShards } from '../sweep/backfill.ts';
import { SessionIndex } from '../sweep/session-index.ts';

const USAGE =
  'usage: TABLE_NAME=<table> ACTIVITY_SHARDS=<count> npm run backfill -- --items-per-second <n> [--dry-run] [--shards <from>-<to>]';

function shardRange(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const match = /^(\d+)-(\d+)$/.exec(raw);
  const [from, to] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
  if (!(from <= to && to < MAX_ACTIVITY_SHARDS)) {
    throw new Error(`--shards must be <from>-<to> within 0-${MAX_ACTIVITY_SHARDS - 1}, got "${raw}"`);
  }
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'items-per-second': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      shards: { type: 'string' },
    },
  });
  const itemsPerSecond = Number(values['items-per-second']);
  if (!(itemsPerSecond > 0)) throw new Error(`--items-per-second must be a positive number\n${USAGE}`);
  const config = loadConfig();
  const index = new SessionIndex(
    createDocumentClient({ endpoint: config.dynamodbEndpoint, maxAttempts: 10 }),
    {
      tableName: config.tableName,
      inactiveDays: config.inactiveDays,
      activityShards: config.activityShards,
      activityBucketMs: config.activityBucketMs,
    },
  );
  const report = await backfillShards(index, {
    itemsPerSecond,
    shards: shardRange(values.shards),
    dryRun: values['dry-run'],
    onShard: (shard, soFar) => console.log(JSON.stringify({ shard, ...soFar })),
    onError: (error, entry) =>
      console.error(JSON.stringify({ error: String(error), activityShard: entry.activityShard })),
  });
  console.log(JSON.stringify({ done: true, activityShards: config.activityShards, ...report }));
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
