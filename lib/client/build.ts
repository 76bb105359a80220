/**
 * `npm run build:client`: builds the package @session-service/client into dist/client/, ready for
 * `npm pack`. ESM JavaScript bundled by esbuild (one file per entry point, shared code in a chunk,
 * source maps beside them), declarations from tsc (lib/client/tsconfig.json), and a package.json whose
 * version is the API's (docs/openapi.yaml, info.version). Not part of the package itself.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT_DIR = join(PROJECT_ROOT, 'lib/client');
const DEFAULT_OUTDIR = join(PROJECT_ROOT, 'dist/client');
export const PACKAGE_NAME = '@session-service/client';
const LAMBDA_SDK = '@aws-sdk/client-lambda';

/** The entry points: `@session-service/client` (both clients) and `@session-service/client/http` (the browser's). */
const ENTRIES = { index: 'index.ts', http: 'http.ts' } as const;

/** The API's version, which the package's version follows. */
export function apiVersion(): string {
  const document = parse(readFileSync(join(PROJECT_ROOT, 'docs/openapi.yaml'), 'utf8')) as {
    info?: { version?: unknown };
  };
  const version = document.info?.version;
  if (typeof version !== 'string') throw new Error('docs/openapi.yaml has no info.version');
  return version;
}

/** Builds the package into `outdir` (emptied first) and returns its package.json. */
export async function buildClientPackage(outdir = DEFAULT_OUTDIR): Promise<Record<string, unknown>> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, file]) => [name, join(CLIENT_DIR, file)]),
    ),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: [LAMBDA_SDK],
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  });
  emitDeclarations(join(outdir, 'types'));
  const manifest = packageJson();
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * tsc writes the declarations with the sources' `.ts` specifiers; a published package's declarations
 * name the files it ships, so each relative specifier is rewritten to `.js`, which TypeScript resolves
 * to the `.d.ts` beside it.
 */
function emitDeclarations(typesDir: string): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(CLIENT_DIR, 'tsconfig.json'), '--outDir', typesDir],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`);
  for (const file of readdirSync(typesDir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.d.ts')) continue;
    const path = join(typesDir, file);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace(/(['"])(\.{1,2}\/[^'"]+)\.ts\1/g, '$1$2.js$1'));
  }
}

function packageJson(): Record<string, unknown> {
  const service = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    license: string;
    dependencies: Record<string, string>;
  };
  const types = (entry: keyof typeof ENTRIES) => `./types/client/${entry}.d.ts`;
  return {
    name: PACKAGE_NAME,
    version: apiVersion(),
    description:
      'Typed clients of session-service: SessionClient (Lambda invoke) and SessionHttpClient (fetch)',
    license: service.license,
    type: 'module',
    sideEffects: false,
    exports: {
      '.': { types: types('index'), default: './index.js' },
      './http': { types: types('http'), default: './http.js' },
      './package.json': './package.json',
    },
    main: './index.js',
    types: types('index'),
    // For TypeScript's older "node" resolution, which does not read `exports`.
    typesVersions: { '*': { http: [types('http')] } },
    // Only SessionClient needs it; a website that imports /http installs nothing else.
    peerDependencies: { [LAMBDA_SDK]: service.dependencies[LAMBDA_SDK] },
    peerDependenciesMeta: { [LAMBDA_SDK]: { optional: true } },
  };
}

if (import.meta.main) {
  const manifest = await buildClientPackage();
  process.stdout.write(
    `built ${manifest.name}@${manifest.version} in ${relative(process.cwd(), DEFAULT_OUTDIR) || '.'}\n`,
  );
}
