/**
 * Section 9: what the client package costs where it runs. The HTTP client as a website ships it
 * (bundled by esbuild for the browser, minified, gzipped), and how much client code each function
 * bundle holds (none: the functions never import lib/client/). Sizes are deterministic, so their
 * budgets are exact. `node tests/bench/client-size.ts` measures and checks this section alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../../lib/local/stack.ts';
import { BUDGETS, clientSizeChecks } from './budgets.ts';
import { esbuildOptions, functionEntries } from './cold-start.ts';

/** The browser's entry point of the package, `@session-service/client/http`. */
export const HTTP_CLIENT_ENTRY = 'lib/client/http.ts';
const CLIENT_DIR = 'lib/client/';

export interface ClientSizeResult {
  /** The HTTP client bundled for the browser and minified, in bytes. */
  httpMinifiedBytes: number;
  /** The same, gzipped (zlib level 9): what a browser downloads. */
  httpGzipBytes: number;
  /** Bytes of lib/client/ code in each function's bundle, built as serverless.yml builds it. */
  functions: { name: string; clientBytes: number }[];
}

/** The HTTP client as a website's bundler would ship it: ESM for browsers, everything bundled. */
export async function bundleHttpClient(options: { minify: boolean }): Promise<string> {
  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [HTTP_CLIENT_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild wrote no bundle for ${HTTP_CLIENT_ENTRY}`);
  return output.text;
}

/** Bytes in one output of a build that came from lib/client/. */
export function clientBytes(metafile: Metafile): number {
  return Object.values(metafile.outputs)
    .flatMap((output) => Object.entries(output.inputs))
    .filter(([input]) => input.startsWith(CLIENT_DIR))
    .reduce((total, [, { bytesInOutput }]) => total + bytesInOutput, 0);
}

export async function measureClientSize(): Promise<ClientSizeResult> {
  const minified = Buffer.from(await bundleHttpClient({ minify: true }));
  const outdir = mkdtempSync(join(tmpdir(), 'session-bench-client-'));
  try {
    const functions = await Promise.all(
      functionEntries().map(async ({ name, entry }) => {
        const result = await build({ ...esbuildOptions(entry, join(outdir, name)), write: false });
        if (!result.metafile) throw new Error(`esbuild gave no metafile for ${entry}`);
        return { name, clientBytes: clientBytes(result.metafile) };
      }),
    );
    return {
      httpMinifiedBytes: minified.byteLength,
      httpGzipBytes: gzipSync(minified, { level: 9 }).byteLength,
      functions,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function clientSizeSection(result: ClientSizeResult, budgetBytes: number): string {
  const rows = result.functions.map((row) => `| ${row.name} | ${row.clientBytes} |`).join('\n');
  return `## 9. The client package

The website's client, \`SessionHttpClient\` from \`@session-service/client/http\` (\`${HTTP_CLIENT_ENTRY}\`,
with the typed errors and the shared retry and key rules), bundled by esbuild for the browser (ESM,
es2022, minified): **${result.httpMinifiedBytes.toLocaleString('en-US')} bytes, ${result.httpGzipBytes.toLocaleString('en-US')} gzipped** (zlib level 9), against a budget of
${budgetBytes.toLocaleString('en-US')} bytes gzipped. It needs nothing else at run time: no AWS SDK, no zod.

The invoke client is for the chatbot's Lambda, not for the service's own functions. Client code
(\`lib/client/\`) in each function bundle, built as serverless.yml builds it:

| Function | Bytes from lib/client/ |
| --- | --- |
${rows}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureClientSize();
  const checks = clientSizeChecks(result);
  process.stdout.write(`${clientSizeSection(result, BUDGETS.httpClientGzipBytes)}\n\n`);
  for (const check of checks) {
    const verdict = check.pass ? 'pass' : 'BUDGET BROKEN';
    process.stdout.write(`${verdict}: ${check.name}: ${check.figure}, budget ${check.limit}\n`);
  }
  if (checks.some((check) => !check.pass)) process.exitCode = 1;
}
