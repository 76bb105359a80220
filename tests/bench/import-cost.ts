/**
 * What a change costs at cold start: bundles every function of this checkout and of another one (for
 * example `git worktree add /tmp/base <commit>`) as `npm run bench` does, then imports each bundle in
 * fresh Node processes, round by round, beside the SDK-only reference. Each figure is the median over
 * rounds of the bundle's time over the reference's in the same round, so load on the machine hits
 * both sides of every ratio alike. Wall time is what Lambda's init waits for; CPU time (user + system)
 * moves less with other processes on the machine.
 *
 *   node tests/bench/import-cost.ts <other checkout> [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../lib/local/stack.ts';
import {
  type Bundle,
  buildBundles,
  type ImportSample,
  importEnvironment,
  importOnce,
  SDK_ONLY,
} from './cold-start.ts';
import { median } from './stats.ts';

async function bundlesOf(root: string, outdir: string): Promise<Bundle[]> {
  const module = (await import(pathToFileURL(join(root, 'tests/bench/cold-start.ts')).href)) as {
    buildBundles: typeof buildBundles;
  };
  return module.buildBundles(outdir);
}

const [other, roundsArg] = process.argv.slice(2);
if (!other) {
  process.stderr.write('usage: node tests/bench/import-cost.ts <other checkout> [rounds]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 30);
const outdir = mkdtempSync(join(tmpdir(), 'session-import-cost-'));
try {
  const current = await buildBundles(join(outdir, 'current'));
  const base = (await bundlesOf(resolve(other), join(outdir, 'other'))).filter((b) => b.name !== SDK_ONLY);
  const runs = [
    ...current.map((bundle) => ({ side: bundle.name === SDK_ONLY ? 'reference' : 'this', bundle })),
    ...base.map((bundle) => ({ side: 'other', bundle })),
  ];
  const samples = new Map<string, ImportSample[]>(runs.map((run) => [`${run.side}/${run.bundle.name}`, []]));
  for (let round = 0; round < rounds; round++) {
    const shift = round % runs.length;
    for (const run of [...runs.slice(shift), ...runs.slice(0, shift)]) {
      samples
        .get(`${run.side}/${run.bundle.name}`)
        ?.push(await importOnce(run.bundle, importEnvironment(run.bundle)));
    }
  }
  const reference = samples.get(`reference/${SDK_ONLY}`) ?? [];
  const ratio = (own: ImportSample[], key: keyof ImportSample) =>
    median(own.map((sample, round) => sample[key] / (reference[round] as ImportSample)[key]));
  const rows = current
    .filter((bundle) => bundle.name !== SDK_ONLY)
    .map((bundle) => {
      const mine = samples.get(`this/${bundle.name}`) ?? [];
      const theirs = samples.get(`other/${bundle.name}`) ?? [];
      const before = base.find((b) => b.name === bundle.name);
      return `| ${bundle.name} | ${((before?.bytes ?? 0) / 1024).toFixed(1)} | ${(bundle.bytes / 1024).toFixed(1)} | ${(
        (bundle.bytes - (before?.bytes ?? 0)) / 1024
      ).toFixed(1)} | ${ratio(theirs, 'ms').toFixed(2)}× | ${ratio(mine, 'ms').toFixed(2)}× | ${ratio(
        theirs,
        'cpuMs',
      ).toFixed(2)}× | ${ratio(mine, 'cpuMs').toFixed(2)}× |`;
    });
  process.stdout.write(
    [
      `${rounds} rounds; this checkout ${PROJECT_ROOT}, other ${resolve(other)}; reference p50 ${median(
        reference.map((s) => s.ms),
      ).toFixed(0)} ms wall, ${median(reference.map((s) => s.cpuMs)).toFixed(0)} ms CPU`,
      '',
      '| Bundle | Other KiB | This KiB | Added KiB | Other wall / SDK | This wall / SDK | Other CPU / SDK | This CPU / SDK |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
