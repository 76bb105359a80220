/**
 * Runs `serverless package` offline and returns the CloudFormation template it wrote.
 *
 * osls always stages a package in `<service>/.serverless` (it deletes that folder first, then moves
 * the result to `--package`), and serverless-esbuild builds in `<service>/.esbuild`. So each run
 * packages a private copy of the service, with `node_modules` linked, in its own temporary folder:
 * runs can go in parallel, and the project's own `.serverless/` and `.esbuild/` stay untouched.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Enough of a CloudFormation template for tests to walk it. */
export interface Template {
  Resources: Record<string, Resource>;
}

export interface Resource {
  Type: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
  Properties: Record<string, unknown>;
}

export interface PackageOptions {
  stage: string;
  /** Environment for the run on top of dummy credentials; nothing else leaks in from the caller. */
  env?: Record<string, string>;
  /** Stage parameters given on the command line, as `--param "name=value"`. */
  params?: Record<string, string | number>;
  timeoutMs?: number;
}

/**
 * Every setting a stage other than dev requires (lib/deploy/settings.cjs), as an operator would give
 * them: the page tier to a topic the stack creates with an address subscribed, the ticket tier to an
 * existing topic.
 */
export const REQUIRED_SETTINGS = {
  jwtIssuerUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE',
  jwtAudience: 'website-client-id',
  chatbotRoleArn: 'arn:aws:iam::123456789012:role/chatbot',
  pageEmail: 'on-call@example.com',
  ticketTopicArn: 'arn:aws:sns:eu-west-1:123456789012:tickets',
} as const;

/** Top-level entries a package never reads: generated, local-only or test files. */
const NOT_COPIED = new Set(['node_modules', '.git', '.serverless', '.esbuild', '.data', 'coverage', 'tests']);

/** Packages the service for `stage` and returns its `cloudformation-template-update-stack.json`. */
export async function packageService({ stage, env = {}, params = {}, timeoutMs = 150_000 }: PackageOptions) {
  const workDir = mkdtempSync(join(tmpdir(), `session-service-package-${stage}-`));
  try {
    const serviceDir = join(workDir, 'service');
    cpSync(PROJECT_ROOT, serviceDir, {
      recursive: true,
      filter: (source) => !NOT_COPIED.has(relative(PROJECT_ROOT, source)),
    });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
    const outputDir = join(workDir, 'package');
    const paramArgs = Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
    await runServerless(
      ['package', '--stage', stage, '--package', outputDir, ...paramArgs],
      serviceDir,
      env,
      timeoutMs,
    );
    const template = readFileSync(join(outputDir, 'cloudformation-template-update-stack.json'), 'utf8');
    return JSON.parse(template) as Template;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function runServerless(args: string[], cwd: string, env: Record<string, string>, timeoutMs: number) {
  const serverless = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
  const child = spawn(process.execPath, [serverless, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      AWS_ACCESS_KEY_ID: 'dummy',
      AWS_SECRET_ACCESS_KEY: 'dummy',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) {
    const how = signal ? `was killed (${signal}) after ${timeoutMs} ms` : `exited with ${code}`;
    throw new Error(`serverless ${args.join(' ')} ${how}:\n${output}`);
  }
}
