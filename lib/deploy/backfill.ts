/**
 * `npm run backfill -- --stage <stage> --region <region> --activity-shards <count> --items-per-second <n>
 * [--dry-run] [--shards <from>-<to>]`: moves every session's index entry to its shard under the stage's
 * shard count now, instead of on each session's next write. The stage names the table
 * (`session-service-<stage>-sessions`, serverless.yml `custom.tableName`); the region is the stage's
 * (`--region`, else AWS_REGION), never a default, so that it cannot change a same-named table in another
 * Region. TABLE_NAME and ACTIVITY_SHARDS, as the functions read them, stand in for `--stage` and
 * `--activity-shards`; DYNAMODB_ENDPOINT points it at a local DynamoDB. AWS credentials come from the
 * usual SDK sources. Prints one JSON progress line per shard value and the report.
 */
import { parseArgs } from 'node:util';
import { envSetting, loadConfig, MAX_ACTIVITY_SHARDS, namedRegion } from '../config.ts';
import { createDocumentClient } from '../store/dynamodb.ts';
import { backfillShards } from '../sweep/backfill.ts';
import { SessionIndex } from '../sweep/session-index.ts';

const USAGE =
  'usage: npm run backfill -- --stage <stage> --region <region> --activity-shards <count> --items-per-second <n> [--dry-run] [--shards <from>-<to>]';

/** The table of a stage, as serverless.yml names it (`custom.tableName`). */
export const tableNameOf = (stage: string) => `session-service-${stage}-sessions`;

function shardRange(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const match = /^(\d+)-(\d+)$/.exec(raw);
  const [from, to] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
  if (!(from <= to && to < MAX_ACTIVITY_SHARDS)) {
    throw new Error(`--shards must be <from>-<to> within 0-${MAX_ACTIVITY_SHARDS - 1}, got "${raw}"`);
  }
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/**
 * What the configuration is read from: the flags, else the environment's TABLE_NAME, AWS_REGION and
 * ACTIVITY_SHARDS; none of the three may fall back to a default.
 */
function settingsFrom(flags: {
  stage?: string | undefined;
  region?: string | undefined;
  activityShards?: string | undefined;
}): Record<string, string | undefined> {
  const region = flags.region ?? namedRegion();
  if (region === undefined) throw new Error(`name the stage's region: --region or AWS_REGION\n${USAGE}`);
  const tableName = flags.stage !== undefined ? tableNameOf(flags.stage) : envSetting('TABLE_NAME');
  if (tableName === undefined) throw new Error(`name the stage: --stage or TABLE_NAME\n${USAGE}`);
  const activityShards = flags.activityShards ?? envSetting('ACTIVITY_SHARDS');
  if (activityShards === undefined) {
    throw new Error(`give the stage's activityShards: --activity-shards or ACTIVITY_SHARDS\n${USAGE}`);
  }
  return { AWS_REGION: region, TABLE_NAME: tableName, ACTIVITY_SHARDS: activityShards };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      'activity-shards': { type: 'string' },
      'items-per-second': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      shards: { type: 'string' },
    },
  });
  const itemsPerSecond = Number(values['items-per-second']);
  if (!(itemsPerSecond > 0)) throw new Error(`--items-per-second must be a positive number\n${USAGE}`);
  const config = loadConfig({
    ...process.env,
    ...settingsFrom({
      stage: values.stage,
      region: values.region,
      activityShards: values['activity-shards'],
    }),
  });
  const index = new SessionIndex(
    createDocumentClient({ endpoint: config.dynamodbEndpoint, region: config.region, maxAttempts: 10 }),
    {
      tableName: config.tableName,
      inactiveDays: config.inactiveDays,
      activityShards: config.activityShards,
      activityBucketMs: config.activityBucketMs,
    },
  );
  console.log(
    JSON.stringify({ table: config.tableName, region: config.region, activityShards: config.activityShards }),
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
