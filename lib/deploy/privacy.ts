/**
 * `npm run privacy -- <export|erase|log-id> <userId> --stage <stage> [--region <region>]`: answers a
 * person's access and erasure requests, and prints the value to search the logs for (docs/PRIVACY.md).
 * A deployed stage's table, inactivity window and log key are read from its deployed function's
 * configuration (`lambda:GetFunctionConfiguration`), in `--region`, AWS_REGION or the stack's default
 * region; AWS credentials come from the usual SDK sources. `--local` works on the local stack
 * (`npm start`): the embedded DynamoDB at DYNAMODB_ENDPOINT (default http://localhost:8000), the dev
 * stage's table and the public development key.
 */
import { parseArgs } from 'node:util';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Env, envSetting, loadConfig, loadLogIdKey, namedRegion } from '../config.ts';
import { DEVELOPMENT_LOG_ID_KEY, logIdOf } from '../log-id.ts';
import { createDocumentClient } from '../store/dynamodb.ts';
import { SessionRepository } from '../store/session-repository.ts';

const SERVICE = 'session-service';
/** serverless.yml's `provider.region` when no --region is given. */
export const STACK_DEFAULT_REGION = 'eu-west-1';
const LOCAL_ENDPOINT = 'http://localhost:8000';
/** A function whose configuration carries the stage's settings (every session function has them). */
const SETTINGS_FUNCTION = 'exportUser';

export const USAGE =
  'usage: npm run privacy -- <export|erase|log-id> <userId> --stage <stage> [--region <region>] [--local]';

const COMMANDS = ['export', 'erase', 'log-id'] as const;
export type PrivacyCommand = (typeof COMMANDS)[number];

export interface PrivacyArgs {
  command: PrivacyCommand;
  userId: string;
  stage: string;
  region: string;
  local: boolean;
}

/** The command line, checked; throws with the usage on anything missing or unknown. */
export function parsePrivacyArgs(argv: readonly string[], env: Env = process.env): PrivacyArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      local: { type: 'boolean', default: false },
    },
  });
  const [command, userId, ...rest] = positionals;
  if (!COMMANDS.includes(command as PrivacyCommand))
    throw new Error(`unknown command "${command ?? ''}"\n${USAGE}`);
  if (userId === undefined || rest.length > 0) throw new Error(`one userId is required\n${USAGE}`);
  if (values.stage === undefined || !/^[\w-]+$/.test(values.stage))
    throw new Error(`--stage is required\n${USAGE}`);
  return {
    command: command as PrivacyCommand,
    userId,
    stage: values.stage,
    region: values.region ?? namedRegion(env) ?? STACK_DEFAULT_REGION,
    local: values.local ?? false,
  };
}

/** Where and how one stage keeps its sessions, as its functions see it. */
export interface StageSettings {
  tableName: string;
  inactiveDays: number;
  logIdKey: string;
  region: string;
  /** Set for the local stack only. */
  endpoint: string | undefined;
}

/** The environment of a deployed function, read from its configuration. */
export type FunctionEnvironment = (functionName: string, region: string) => Promise<Env>;

export const deployedFunctionEnvironment: FunctionEnvironment = async (functionName, region) => {
  const lambda = new LambdaClient({ region, maxAttempts: 5 });
  try {
    const { Environment } = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: functionName }),
    );
    return Environment?.Variables ?? {};
  } finally {
    lambda.destroy();
  }
};

/** The stage's settings: the local stack's, or those its deployed functions run with. */
export async function stageSettings(
  args: PrivacyArgs,
  env: Env = process.env,
  functionEnvironment: FunctionEnvironment = deployedFunctionEnvironment,
): Promise<StageSettings> {
  if (args.local) {
    const config = loadConfig({
      ...env,
      TABLE_NAME: envSetting('TABLE_NAME', env) ?? `${SERVICE}-${args.stage}-sessions`,
      DYNAMODB_ENDPOINT: envSetting('DYNAMODB_ENDPOINT', env) ?? LOCAL_ENDPOINT,
    });
    return {
      tableName: config.tableName,
      inactiveDays: config.inactiveDays,
      logIdKey: DEVELOPMENT_LOG_ID_KEY,
      region: config.region,
      endpoint: config.dynamodbEndpoint,
    };
  }
  const deployed = await functionEnvironment(`${SERVICE}-${args.stage}-${SETTINGS_FUNCTION}`, args.region);
  const config = loadConfig({ ...deployed, AWS_REGION: args.region, DYNAMODB_ENDPOINT: undefined });
  return {
    tableName: config.tableName,
    inactiveDays: config.inactiveDays,
    logIdKey: loadLogIdKey({ ...deployed, DYNAMODB_ENDPOINT: undefined }),
    region: args.region,
    endpoint: undefined,
  };
}

/**
 * Runs one command and answers what to print: the export document, `{ erased }`, or the log id with
 * the stage it belongs to.
 */
export async function runPrivacyCommand(
  args: Pick<PrivacyArgs, 'command' | 'userId' | 'stage'>,
  settings: StageSettings,
  doc: DynamoDBDocumentClient,
): Promise<unknown> {
  if (args.command === 'log-id') return { stage: args.stage, logId: logIdOf(args.userId, settings.logIdKey) };
  const sessions = new SessionRepository(doc, {
    tableName: settings.tableName,
    inactiveDays: settings.inactiveDays,
  });
  if (args.command === 'export') return sessions.exportUser(args.userId);
  return sessions.erase(args.userId);
}

/** What the command line runs on; tests give their own. */
export interface PrivacyCliDependencies {
  env: Env;
  functionEnvironment: FunctionEnvironment;
  print: (text: string) => void;
}

/** The whole command: parses `argv`, finds the stage and prints the answer as JSON. */
export async function runPrivacyCli(
  argv: readonly string[],
  { env, functionEnvironment, print }: PrivacyCliDependencies = {
    env: process.env,
    functionEnvironment: deployedFunctionEnvironment,
    print: console.log,
  },
): Promise<void> {
  const args = parsePrivacyArgs(argv, env);
  const settings = await stageSettings(args, env, functionEnvironment);
  const doc = createDocumentClient({ endpoint: settings.endpoint, region: settings.region, maxAttempts: 5 });
  try {
    print(JSON.stringify(await runPrivacyCommand(args, settings, doc), null, 2));
  } finally {
    doc.destroy();
  }
}

if (import.meta.main) {
  runPrivacyCli(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
