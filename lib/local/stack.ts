/**
 * The whole service on one machine: the embedded DynamoDB, its table from serverless.yml, and
 * serverless-offline running the real handlers over HTTP and the Lambda Invoke API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DEVELOPMENT_LOG_ID_KEY } from '../log-id.ts';
import { type EmbeddedDynamo, ensureSessionsTable, startEmbeddedDynamo } from './embedded-dynamodb.ts';
import { LOCAL_TABLE_NAME } from './table-definition.ts';
import { LOCAL_JWT } from './token.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LocalStackOptions {
  dynamodbPort: number;
  httpPort: number;
  lambdaPort: number;
  /** Keep nothing on disk; otherwise the data lives under `.data/`. */
  inMemory: boolean;
  /** Where serverless-offline's own output goes; the terminal by default. */
  output?: 'inherit' | 'ignore';
  /** Environment for serverless-offline and the functions, applied last (tests use it to break things). */
  env?: Record<string, string>;
}

export interface LocalStack {
  httpUrl: string;
  lambdaEndpoint: string;
  dynamodbEndpoint: string;
  tableName: string;
  stop(): Promise<void>;
}

export function defaultOptions(env: NodeJS.ProcessEnv = process.env): LocalStackOptions {
  return {
    dynamodbPort: Number(env.DYNAMODB_PORT ?? 8000),
    httpPort: Number(env.HTTP_PORT ?? 3000),
    lambdaPort: Number(env.LAMBDA_PORT ?? 3002),
    inMemory: false,
  };
}

async function waitUntilServing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serverless-offline exited with code ${child.exitCode}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`serverless-offline did not answer on ${url} within ${timeoutMs} ms`);
}

/** Stops a child and everything it started, first politely, then for good. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataPath = options.inMemory ? undefined : `${PROJECT_ROOT}/.data`;
  if (dataPath) mkdirSync(dataPath, { recursive: true });
  const dynamo: EmbeddedDynamo = await startEmbeddedDynamo({ port: options.dynamodbPort, path: dataPath });
  await ensureSessionsTable(dynamo.endpoint, LOCAL_TABLE_NAME);

  const workFolder = `.esbuild/stack-${options.httpPort}`;
  const serverless = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
  const child = spawn(process.execPath, [serverless, 'offline', 'start', '--stage', 'dev'], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', options.output ?? 'inherit', options.output ?? 'inherit'],
    env: {
      ...process.env,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      HTTP_PORT: String(options.httpPort),
      LAMBDA_PORT: String(options.lambdaPort),
      JWT_ISSUER_URL: LOCAL_JWT.issuer,
      JWT_AUDIENCE: LOCAL_JWT.audience,
      LOG_ID_KEY: DEVELOPMENT_LOG_ID_KEY,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      ESBUILD_WORK_FOLDER: workFolder,
      SLS_TELEMETRY_DISABLED: '1',
      ...options.env,
    },
  });

  const httpUrl = `http://localhost:${options.httpPort}`;
  const stop = async () => {
    await stopProcessGroup(child);
    await dynamo.close();
    rmSync(`${PROJECT_ROOT}/${workFolder}`, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(`${httpUrl}/`, child, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpUrl,
    lambdaEndpoint: `http://localhost:${options.lambdaPort}`,
    dynamodbEndpoint: dynamo.endpoint,
    tableName: LOCAL_TABLE_NAME,
    stop,
  };
}
