/**
 * The run parameters of every fast-check property in the suite. In `npm test` (and CI) a property runs
 * on its own fixed seed, so it finds the same inputs every time and never fails at random: a new
 * counterexample is found by `npm run fuzz`, which explores with a fresh random seed and many more runs
 * (tests/support/fuzz-run.ts sets FUZZ_SEED and FUZZ_RUNS), and is then kept as a named regression case.
 */
import type fc from 'fast-check';

/** Runs per property under `npm run fuzz`, unless `--runs` asks for more. */
export const FUZZ_RUNS = 20_000;

export function propertyParameters<T>(ci: { seed: number; numRuns: number }): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  if (seed === undefined || seed === '') return { seed: ci.seed, numRuns: ci.numRuns };
  const runs = Number(process.env.FUZZ_RUNS || FUZZ_RUNS);
  // fast-check prints the seed and path of a failure: `npm run fuzz -- --seed <seed>` replays the run.
  return { seed: Number(seed), numRuns: Math.max(ci.numRuns, runs), endOnFailure: true };
}

/** A property's own time limit in `npm test`; none under `npm run fuzz`, whose runs take as long as they take. */
export function propertyTimeout(ciMs: number): number {
  const seed = process.env.FUZZ_SEED;
  return seed === undefined || seed === '' ? ciMs : 0;
}
