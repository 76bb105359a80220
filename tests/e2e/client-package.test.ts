/**
 * The package as another team gets it: `npm run build:client`'s output, packed with `npm pack` and
 * installed from the tarball into a project outside this repository, offline. There, tsc checks a
 * consumer against the shipped declarations (and that wrong calls are type errors), and plain Node,
 * with no TypeScript at all, runs both clients against the local stack.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiVersion, buildClientPackage, PACKAGE_NAME } from '../../lib/client/build.ts';
import { localToken } from '../../lib/local/token.ts';

const FIXTURES = fileURLToPath(new URL('./client-package/', import.meta.url));
const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
/** The repository's copy of the peer dependency, linked into the consumer instead of downloaded. */
const LAMBDA_SDK = dirname(require.resolve('@aws-sdk/client-lambda/package.json'));

interface Run {
  status: number | null;
  output: string;
}

/**
 * This process's environment without npm's `npm_*` variables: under `npm test` they name this
 * repository (`npm_config_local_prefix`), and an `npm install` that inherited them would install here.
 */
function outsideNpm(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Run {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...outsideNpm(), ...env },
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function succeed(command: string, args: string[], cwd: string, env?: Record<string, string>): string {
  const result = run(command, args, cwd, env);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.output}`);
  return result.output;
}

/** What `npm pack --json` says of the tarball it wrote. */
interface Pack {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

const newUser = () => `wa:+44${randomUUID().replaceAll('-', '').slice(0, 10)}`;

describe('the packed @session-service/client, installed in another project', () => {
  let workDir: string;
  let consumer: string;
  let packed: Pack;
  let manifest: Record<string, unknown>;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'session-client-package-'));
    const packageDir = join(workDir, 'package');
    manifest = await buildClientPackage(packageDir);
    const packs = JSON.parse(succeed('npm', ['pack', '--json', '--pack-destination', workDir], packageDir));
    packed = (packs as [Pack])[0];
    const tarball = join(workDir, packed.filename);

    consumer = join(workDir, 'consumer');
    mkdirSync(consumer);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // The package has no dependency to fetch and its one peer is optional: nothing needs the registry.
    succeed(
      'npm',
      ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'],
      consumer,
    );
    mkdirSync(join(consumer, 'node_modules/@aws-sdk'));
    symlinkSync(LAMBDA_SDK, join(consumer, 'node_modules/@aws-sdk/client-lambda'), 'dir');
    for (const file of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, file), join(consumer, file));
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('is named @session-service/client, versioned as the API, and ships JavaScript and declarations only', () => {
    expect(manifest).toMatchObject({ name: PACKAGE_NAME, version: apiVersion(), type: 'module' });
    expect(packed).toMatchObject({ name: PACKAGE_NAME, version: apiVersion() });
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'index.js', 'index.js.map', 'http.js']));
    expect(paths.filter((path) => /\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
    expect(manifest).not.toHaveProperty('dependencies');
    expect(manifest).toMatchObject({
      peerDependencies: { '@aws-sdk/client-lambda': expect.any(String) },
      peerDependenciesMeta: { '@aws-sdk/client-lambda': { optional: true } },
    });
  });

  it('type-checks a consumer of both clients against the shipped declarations, and every wrong call is a type error', () => {
    // wrong-calls.ts marks each wrong call with @ts-expect-error, which tsc reports when the call type-checks.
    const result = run(process.execPath, [TSC, '-p', 'tsconfig.json'], consumer);

    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('type-checks the browser entry with its declarations checked too, without DOM or Node types', () => {
    const result = run(process.execPath, [TSC, '-p', 'tsconfig.http.json'], consumer);

    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails type-checking when a wrong call is not marked, naming the call', () => {
    writeFileSync(
      join(consumer, 'unmarked.ts'),
      "import { SessionHttpClient } from '@session-service/client/http';\n" +
        "new SessionHttpClient({ baseUrl: 'x', getToken: () => 't' }).update('u', { userId: 'v' });\n",
    );

    const result = run(
      process.execPath,
      [TSC, '--noEmit', '--strict', '--module', 'nodenext', 'unmarked.ts'],
      consumer,
    );

    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/unmarked\.ts\(2,\d+\): error TS2769: No overload matches this call/);
  });

  it('runs both clients from plain Node ESM against the local stack: create, keyed update, replay, conflict, mutate, delete', () => {
    const httpUser = newUser();
    const output = succeed(process.execPath, ['--no-experimental-strip-types', 'run.mjs'], consumer, {
      HTTP_URL: inject('httpUrl'),
      HTTP_USER: httpUser,
      HTTP_TOKEN: localToken(httpUser),
      LAMBDA_ENDPOINT: inject('lambdaEndpoint'),
      INVOKE_USER: newUser(),
    });

    const result = JSON.parse(output) as Record<string, unknown>;
    const scenario = {
      created: { created: true, version: 1 },
      updated: { version: 2, step: 'pick_time', replayed: false },
      replay: { version: 2, replayed: true },
      conflict: { isVersionConflict: true, code: 'VERSION_CONFLICT' },
      // Another write landed between the read and the write: a second attempt, under the same key.
      mutated: { attempts: 2, replayed: false, version: 4 },
      context: { other: 1, mine: 3 },
      deleted: true,
      after: null,
    };
    expect(result).toEqual({ oneHttpClientClass: true, http: scenario, invoke: scenario });
  });
});
