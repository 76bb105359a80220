/**
 * `npm run privacy`: the command line, the stage's settings (from its deployed function, or the local
 * stack's), and each command against the embedded DynamoDB.
 */

import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  deployedFunctionEnvironment,
  type FunctionEnvironment,
  parsePrivacyArgs,
  runPrivacyCli,
  runPrivacyCommand,
  STACK_DEFAULT_REGION,
  type StageSettings,
  stageSettings,
} from '../../../lib/deploy/privacy.ts';
import { DEVELOPMENT_LOG_ID_KEY, logIdOf } from '../../../lib/log-id.ts';
import {
  endpoint,
  repositoryFor,
  storedItem,
  testDocumentClient,
  uniqueUserId,
} from '../../support/dynamo.ts';

const doc = testDocumentClient();
afterAll(() => doc.destroy());

const STAGE_KEY = 'a-stage-key-of-at-least-thirty-two-chars';

describe('parsePrivacyArgs', () => {
  it('reads a command, a user id, the stage and the region', () => {
    expect(
      parsePrivacyArgs(['export', 'wa:+447700900123', '--stage', 'prod', '--region', 'eu-central-1'], {}),
    ).toEqual({
      command: 'export',
      userId: 'wa:+447700900123',
      stage: 'prod',
      region: 'eu-central-1',
      local: false,
    });
  });

  it("takes the region from AWS_REGION, else the stack's default", () => {
    expect(parsePrivacyArgs(['erase', 'u', '--stage', 'prod'], { AWS_REGION: 'us-west-2' }).region).toBe(
      'us-west-2',
    );
    expect(parsePrivacyArgs(['log-id', 'u', '--stage', 'prod'], {}).region).toBe(STACK_DEFAULT_REGION);
  });

  it.each([
    ['an unknown command', ['purge', 'u', '--stage', 'prod'], 'unknown command'],
    ['no user id', ['export', '--stage', 'prod'], 'one userId is required'],
    ['two user ids', ['export', 'u', 'v', '--stage', 'prod'], 'one userId is required'],
    ['no stage', ['export', 'u'], '--stage is required'],
  ])('refuses %s, with the usage', (_name, argv, message) => {
    expect(() => parsePrivacyArgs(argv, {})).toThrow(message);
    expect(() => parsePrivacyArgs(argv, {})).toThrow('usage: npm run privacy');
  });
});

describe('stageSettings', () => {
  it("reads a deployed stage's table, window and log key from its function, in the region asked", async () => {
    const asked: string[] = [];
    const functionEnvironment: FunctionEnvironment = async (name, region) => {
      asked.push(`${name} in ${region}`);
      return { TABLE_NAME: 'session-service-prod-sessions', INACTIVE_DAYS: '14', LOG_ID_KEY: STAGE_KEY };
    };

    const settings = await stageSettings(
      parsePrivacyArgs(['log-id', 'u', '--stage', 'prod'], {}),
      {},
      functionEnvironment,
    );

    expect(settings).toEqual({
      tableName: 'session-service-prod-sessions',
      inactiveDays: 14,
      logIdKey: STAGE_KEY,
      region: STACK_DEFAULT_REGION,
      endpoint: undefined,
    });
    expect(asked).toEqual([`session-service-prod-exportUser in ${STACK_DEFAULT_REGION}`]);
  });

  it('refuses a deployed stage that runs with the public development key', async () => {
    const functionEnvironment: FunctionEnvironment = async () => ({
      TABLE_NAME: 't',
      LOG_ID_KEY: DEVELOPMENT_LOG_ID_KEY,
    });
    await expect(
      stageSettings(parsePrivacyArgs(['log-id', 'u', '--stage', 'prod'], {}), {}, functionEnvironment),
    ).rejects.toThrow('public development key');
  });

  it('works on the local stack with its table, its endpoint and the development key', async () => {
    const settings = await stageSettings(
      parsePrivacyArgs(['export', 'u', '--stage', 'dev', '--local'], {}),
      {},
    );
    expect(settings).toMatchObject({
      tableName: 'session-service-dev-sessions',
      endpoint: 'http://localhost:8000',
      logIdKey: DEVELOPMENT_LOG_ID_KEY,
    });
  });
});

describe('runPrivacyCommand', () => {
  const settings: StageSettings = {
    tableName: inject('tableName'),
    inactiveDays: 30,
    logIdKey: STAGE_KEY,
    region: 'us-east-1',
    endpoint: endpoint(),
  };
  const sessions = repositoryFor(doc);

  it('exports what is stored about the user', async () => {
    const userId = uniqueUserId('wa:+447700900');
    await sessions.createOrGet(userId, 'Chatbot');
    await sessions.update(userId, { booking: { name: 'Ada Lovelace' } });

    const exported = await runPrivacyCommand({ command: 'export', userId, stage: 'test' }, settings, doc);

    expect(exported).toEqual(await sessions.exportUser(userId));
    expect(exported).toMatchObject({ session: { booking: { name: 'Ada Lovelace' } } });
  });

  it('erases the user, and says so once', async () => {
    const userId = uniqueUserId('wa:+447700900');
    await sessions.createOrGet(userId);

    expect(await runPrivacyCommand({ command: 'erase', userId, stage: 'test' }, settings, doc)).toEqual({
      erased: true,
    });
    expect(await runPrivacyCommand({ command: 'erase', userId, stage: 'test' }, settings, doc)).toEqual({
      erased: false,
    });
    expect(await storedItem(doc, userId)).toBeUndefined();
  });

  it("prints the log id under the stage's key, the value the functions log", async () => {
    expect(
      await runPrivacyCommand(
        { command: 'log-id', userId: 'wa:+447700900123', stage: 'prod' },
        settings,
        doc,
      ),
    ).toEqual({
      stage: 'prod',
      logId: logIdOf('wa:+447700900123', STAGE_KEY),
    });
  });
});

describe('deployedFunctionEnvironment', () => {
  it("reads the environment from the function's configuration, in its region", async () => {
    const lambda = mockClient(LambdaClient);
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'session-service-prod-exportUser' })
      .resolves({ Environment: { Variables: { TABLE_NAME: 'session-service-prod-sessions' } } });
    try {
      expect(await deployedFunctionEnvironment('session-service-prod-exportUser', 'eu-west-1')).toEqual({
        TABLE_NAME: 'session-service-prod-sessions',
      });
      expect(await lambda.call(0).thisValue.config.region()).toBe('eu-west-1');
    } finally {
      lambda.restore();
    }
  });
});

describe('runPrivacyCli', () => {
  it('prints the answer of a command on the local stack as JSON', async () => {
    const userId = uniqueUserId('wa:+447700900');
    await repositoryFor(doc).createOrGet(userId);
    const printed: string[] = [];
    const dependencies = {
      env: { DYNAMODB_ENDPOINT: endpoint(), TABLE_NAME: inject('tableName') },
      functionEnvironment: async () => ({}),
      print: (text: string) => printed.push(text),
    };

    await runPrivacyCli(['erase', userId, '--stage', 'dev', '--local'], dependencies);
    await runPrivacyCli(['export', userId, '--stage', 'dev', '--local'], dependencies);

    expect(printed.map((text) => JSON.parse(text))).toEqual([
      { erased: true },
      { userId, session: null, tombstone: null, rememberedWriteIds: { keyed: 0, unkeyed: 0 } },
    ]);
  });
});
