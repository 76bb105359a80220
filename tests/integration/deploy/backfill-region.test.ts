/**
 * The runbook's shard backfill acts on the stage's table in the stage's Region, never on a same-named
 * table elsewhere. Run as an operator runs it (`lib/deploy/backfill.ts`, npm script `backfill`) against
 * moto, which keeps each Region's tables apart.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNameOf } from '../../../lib/deploy/backfill.ts';
import { sessionsTableDefinition } from '../../../lib/local/table-definition.ts';
import { createDocumentClient } from '../../../lib/store/dynamodb.ts';
import { activityShardOf } from '../../../lib/store/shard.ts';
import { storedItem } from '../../support/dynamo.ts';
import { MOTO_SERVER_AVAILABLE, type Moto, startMoto } from '../../support/moto.ts';
import { seedSessions } from '../../support/sweep.ts';

const exec = promisify(execFile);
const BACKFILL = fileURLToPath(new URL('../../../lib/deploy/backfill.ts', import.meta.url));
const STAGE = 'prod';
const TABLE = tableNameOf(STAGE);
const STAGE_REGION = 'eu-west-1';
const OTHER_REGION = 'us-east-1';
const USERS = Array.from({ length: 40 }, (_, index) => `region:${index}`);
const HOUR_MS = 60 * 60 * 1000;

describe.skipIf(!MOTO_SERVER_AVAILABLE)(
  'npm run backfill in a Region other than us-east-1 (needs moto_server on the PATH)',
  () => {
    let moto: Moto;
    const client = (region: string) =>
      createDocumentClient({ endpoint: moto.endpoint, region, placeholderCredentials: true });

    beforeAll(async () => {
      moto = await startMoto();
      // The same table name in both Regions, the same sessions on 16 shards in each.
      for (const region of [STAGE_REGION, OTHER_REGION]) {
        const dynamo = new DynamoDBClient({
          endpoint: moto.endpoint,
          region,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        });
        await dynamo.send(new CreateTableCommand(sessionsTableDefinition(TABLE)));
        dynamo.destroy();
        const doc = client(region);
        await seedSessions(
          doc,
          TABLE,
          USERS.map((userId) => ({ userId, updatedAt: new Date('2026-11-20T10:00:00.000Z') })),
          { activityShards: 16, activityBucketMs: HOUR_MS },
        );
        doc.destroy();
      }
    }, 60_000);
    afterAll(async () => {
      await moto?.stop();
    });

    const shardsIn = async (region: string) => {
      const doc = client(region);
      try {
        return await Promise.all(
          USERS.map(async (userId) => Number((await storedItem(doc, userId, TABLE))?.activityShard)),
        );
      } finally {
        doc.destroy();
      }
    };

    const backfill = (args: string[], env: Record<string, string> = {}) =>
      exec(process.execPath, [BACKFILL, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          DYNAMODB_ENDPOINT: moto.endpoint,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          ...env,
        },
      });

    it("moves the entries of the stage's table in the stage's Region, and nothing in another", async () => {
      const { stdout } = await backfill([
        '--stage',
        STAGE,
        '--region',
        STAGE_REGION,
        '--activity-shards',
        '64',
        '--items-per-second',
        '1000',
      ]);
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const moving = USERS.filter((userId) => activityShardOf(userId, 64) !== activityShardOf(userId, 16));

      expect(lines[0]).toEqual({ table: TABLE, region: STAGE_REGION, activityShards: 64 });
      // An entry moved to a shard value the walk has not reached yet is read again there, unchanged.
      expect(lines.at(-1)).toMatchObject({ done: true, moved: moving.length, skipped: 0, errors: 0 });
      expect(await shardsIn(STAGE_REGION)).toEqual(USERS.map((userId) => activityShardOf(userId, 64)));
      expect(await shardsIn(OTHER_REGION)).toEqual(USERS.map((userId) => activityShardOf(userId, 16)));
    }, 60_000);

    it('takes the Region from AWS_REGION when --region is not given', async () => {
      const { stdout } = await backfill(
        ['--stage', STAGE, '--activity-shards', '64', '--items-per-second', '1000', '--dry-run'],
        { AWS_REGION: STAGE_REGION },
      );

      expect(JSON.parse(stdout.split('\n')[0] as string)).toEqual({
        table: TABLE,
        region: STAGE_REGION,
        activityShards: 64,
      });
    }, 60_000);

    it.each([
      [['--stage', STAGE, '--activity-shards', '64'], /name the stage's region/],
      [['--region', STAGE_REGION, '--activity-shards', '64'], /name the stage: --stage or TABLE_NAME/],
      [['--stage', STAGE, '--region', STAGE_REGION], /--activity-shards or ACTIVITY_SHARDS/],
    ])(
      'refuses to guess: %j',
      async (args, message) => {
        await expect(backfill([...args, '--items-per-second', '1000'])).rejects.toMatchObject({
          code: 1,
          stderr: expect.stringMatching(message),
        });
      },
      60_000,
    );
  },
);
