/**
 * Section 4: each function bundled exactly as serverless.yml's `custom.esbuild` says, its size, and
 * the time a fresh Node process takes to import it, next to a bundle of the DynamoDB SDK alone.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../lib/local/stack.ts';
import { SERVERLESS_YML } from '../../lib/local/table-definition.ts';
import { type Interval, median, medianInterval, percentile } from './stats.ts';

export const SDK_ONLY = 'SDK only (reference)';
const SDK_ONLY_ENTRY = 'tests/bench/sdk-only-handler.ts';

/** Options serverless-esbuild consumes itself and never passes to esbuild (its `bundle.ts` list). */
const PLUGIN_OPTIONS = new Set([
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
]);

interface ServerlessFile {
  provider?: { environment?: Record<string, unknown> };
  custom?: { esbuild?: Record<string, unknown> };
  functions?: Record<string, { handler?: string; environment?: Record<string, unknown> }>;
}

function serverlessFile(): ServerlessFile {
  return parse(readFileSync(SERVERLESS_YML, 'utf8')) as ServerlessFile;
}

/** The esbuild options serverless-esbuild derives from `custom.esbuild`, for one entry point. */
export function esbuildOptions(entry: string, outdir: string): BuildOptions {
  const custom = serverlessFile().custom?.esbuild ?? {};
  const passed = Object.fromEntries(Object.entries(custom).filter(([key]) => !PLUGIN_OPTIONS.has(key)));
  const exclude = Array.isArray(custom.exclude) ? (custom.exclude as string[]) : ['aws-sdk'];
  const extension = typeof custom.outputFileExtension === 'string' ? custom.outputFileExtension : '.js';
  return {
    ...(passed as BuildOptions),
    external: [
      ...((passed.external as string[] | undefined) ?? []),
      ...(exclude.includes('*') ? [] : exclude),
    ],
    ...(extension === '.js' ? {} : { outExtension: { '.js': extension } }),
    entryPoints: [entry],
    outdir,
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'silent',
  };
}

/** The functions of serverless.yml and the source file of each handler. */
export function functionEntries(): { name: string; entry: string }[] {
  return Object.entries(serverlessFile().functions ?? {}).map(([name, fn]) => {
    const handler = fn.handler ?? '';
    return { name, entry: `${handler.slice(0, handler.lastIndexOf('.'))}.ts` };
  });
}

export interface Bundle {
  name: string;
  entry: string;
  file: string;
  bytes: number;
  /** Bytes in the bundle by npm package; the service's own code is "(service code)". */
  packages: Record<string, number>;
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? '(service code)';
}

function breakdown(metafile: Metafile, output: string): Record<string, number> {
  const inputs = metafile.outputs[output]?.inputs ?? {};
  const packages: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const name = packageOf(input);
    packages[name] = (packages[name] ?? 0) + bytesInOutput;
  }
  return packages;
}

export async function buildBundles(outdir: string): Promise<Bundle[]> {
  const entries = [...functionEntries(), { name: SDK_ONLY, entry: SDK_ONLY_ENTRY }];
  return Promise.all(
    entries.map(async ({ name, entry }) => {
      const dir = join(outdir, name.replace(/\W+/g, '-'));
      const result = await build(esbuildOptions(entry, dir));
      const output = Object.keys(result.metafile?.outputs ?? {}).find((file) => /\.[cm]?js$/.test(file));
      if (!output || !result.metafile) throw new Error(`esbuild wrote no bundle for ${entry}`);
      const file = join(PROJECT_ROOT, output);
      return { name, entry, file, bytes: statSync(file).size, packages: breakdown(result.metafile, output) };
    }),
  );
}

/**
 * The environment a bundle is imported with: its function's, as deployed (the SDK-only reference gets
 * getSession's), or the same without NODE_OPTIONS to leave source maps out.
 */
export function importEnvironment(
  bundle: Bundle,
  sourceMaps: 'deployed' | 'without source maps' = 'deployed',
): Record<string, string> {
  const { NODE_OPTIONS, ...rest } = lambdaEnvironment(bundle.name === SDK_ONLY ? 'getSession' : bundle.name);
  return sourceMaps === 'deployed' && NODE_OPTIONS !== undefined ? { ...rest, NODE_OPTIONS } : rest;
}

/** The environment a deployed function starts with, from serverless.yml, with local placeholders. */
function lambdaEnvironment(name: string): Record<string, string> {
  const file = serverlessFile();
  const configured = { ...file.provider?.environment, ...file.functions?.[name]?.environment };
  const placeholders: Record<string, string> = {
    TABLE_NAME: 'session-service-dev-sessions',
    INACTIVE_DAYS: '30',
    OWNER_CLAIM: 'sub',
    POWERTOOLS_SERVICE_NAME: 'session-service',
    POWERTOOLS_METRICS_NAMESPACE: 'session-service',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    SWEEP_CONCURRENCY: '16',
    // A stage's own key, as Secrets Manager gives it at deploy time (never the development key).
    LOG_ID_KEY: 'bench-log-id-key-of-at-least-32-characters',
    EVENT_BUS_NAME: 'session-service-dev',
    EVENTS_INCLUDE_BOOKING: 'false',
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_LAMBDA_FUNCTION_NAME: `session-service-dev-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
  };
  for (const [key, value] of Object.entries(configured)) {
    const text = String(value);
    // `${...}` references resolve only at deploy time; use the placeholder, or drop the variable.
    if (!text.includes('${')) env[key] = text;
    else if (placeholders[key] !== undefined) env[key] = placeholders[key];
  }
  return env;
}

// CPU time (every thread of the process, user and system) beside wall time: a process that waits for
// a core on a loaded machine spends wall time, not CPU time, so CPU time is what the budget judges.
const IMPORT_SCRIPT = `
const cpu = process.cpuUsage();
const started = performance.now();
await import(process.env.BENCH_BUNDLE_URL);
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000 }));
process.exit(0);
`;

export interface ImportSample {
  ms: number;
  cpuMs: number;
}

/** Imports `bundle` once in a fresh Node process with `env`: its wall and CPU time. */
export function importOnce(bundle: Bundle, env: Record<string, string>): Promise<ImportSample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', IMPORT_SCRIPT], {
      env: { ...env, BENCH_BUNDLE_URL: pathToFileURL(bundle.file).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`importing ${bundle.name} exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as ImportSample);
    });
  });
}

export interface ImportTimes {
  /** Wall time, milliseconds. */
  p50: number;
  p90: number;
  samples: number;
  /** p50 over the SDK-only bundle's p50 in the same variant, from the same interleaved run. */
  ratioToSdk: number;
  /** CPU time of the import, milliseconds, p50. */
  cpuP50: number;
  /**
   * The figure the import budget judges: the median, over rounds, of this bundle's CPU time over the
   * SDK-only bundle's in the same round (imported next to it), with a 95% confidence interval.
   */
  cpuRatioToSdk: Interval;
}

export interface ColdStartRow {
  name: string;
  entry: string;
  bytes: number;
  /** With the environment serverless.yml deploys (NODE_OPTIONS=--enable-source-maps). */
  deployed: ImportTimes;
  /** The same without NODE_OPTIONS, to show what reading the source map costs; full run only. */
  withoutSourceMaps: ImportTimes | undefined;
  packages: Record<string, number>;
}

export interface ColdStartResult {
  rows: ColdStartRow[];
  processes: number;
  nodeOptions: string;
}

type Variant = 'deployed' | 'withoutSourceMaps';

/**
 * Bundles every function and the SDK-only reference, then imports each in `processes` fresh Node
 * processes per variant, taking the bundles in turn so that machine noise hits them all alike.
 */
export async function measureColdStart(options: {
  processes: number;
  withoutSourceMaps: boolean;
  log?: (line: string) => void;
}): Promise<ColdStartResult> {
  const outdir = mkdtempSync(join(tmpdir(), 'session-bench-bundles-'));
  try {
    const bundles = await buildBundles(outdir);
    options.log?.(`  bundled ${bundles.map((bundle) => relative(outdir, bundle.file)).join(', ')}`);
    const variants: Variant[] = options.withoutSourceMaps ? ['deployed', 'withoutSourceMaps'] : ['deployed'];
    const environment = (bundle: Bundle, variant: Variant) =>
      importEnvironment(bundle, variant === 'deployed' ? 'deployed' : 'without source maps');
    const runs = bundles.flatMap((bundle) => variants.map((variant) => ({ bundle, variant })));
    const samples = new Map<string, ImportSample[]>(
      runs.map(({ bundle, variant }) => [`${bundle.name}/${variant}`, []]),
    );
    for (let round = 0; round < options.processes; round++) {
      // Rotate the order every round, so no bundle always follows the same one.
      const shift = round % runs.length;
      for (const { bundle, variant } of [...runs.slice(shift), ...runs.slice(0, shift)]) {
        samples
          .get(`${bundle.name}/${variant}`)
          ?.push(await importOnce(bundle, environment(bundle, variant)));
      }
    }
    const times = (name: string, variant: Variant): ImportTimes | undefined => {
      const own = samples.get(`${name}/${variant}`);
      const sdk = samples.get(`${SDK_ONLY}/${variant}`);
      if (!own || !sdk) return undefined;
      const wall = own.map((sample) => sample.ms);
      return {
        p50: median(wall),
        p90: percentile(wall, 90),
        samples: own.length,
        ratioToSdk: median(wall) / median(sdk.map((sample) => sample.ms)),
        cpuP50: median(own.map((sample) => sample.cpuMs)),
        // Paired by round: both imports of a round ran seconds apart, under the same load.
        cpuRatioToSdk: medianInterval(own.map((sample, round) => sample.cpuMs / (sdk[round]?.cpuMs ?? NaN))),
      };
    };
    const rows = bundles.map((bundle): ColdStartRow => {
      const deployed = times(bundle.name, 'deployed');
      if (!deployed) throw new Error(`no import times for ${bundle.name}`);
      return {
        name: bundle.name,
        entry: bundle.entry,
        bytes: bundle.bytes,
        deployed,
        withoutSourceMaps: times(bundle.name, 'withoutSourceMaps'),
        packages: bundle.packages,
      };
    });
    return {
      rows,
      processes: options.processes,
      nodeOptions: lambdaEnvironment('getSession').NODE_OPTIONS ?? '',
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
