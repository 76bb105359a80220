/**
 * `npm run fuzz [-- --seed <n>] [-- --runs <n>]`: every property test of the suite with a random seed
 * (or the one given) and at least 20,000 runs per property, against the embedded DynamoDB. For
 * developers before they stop, not for CI, which runs each property on its fixed seed (`npm test`).
 * The seed is printed first; the same seed replays the same inputs.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FUZZ_RUNS } from './fuzz-parameters.ts';

const PROPERTY_FILES = [
  'tests/integration/handlers/fuzz.test.ts',
  'tests/integration/handlers/error-body.test.ts',
  'tests/integration/store/model.test.ts',
  'tests/integration/store/exactly-once.test.ts',
];

const { values } = parseArgs({
  options: { seed: { type: 'string' }, runs: { type: 'string' } },
});
const seed = values.seed ?? String(randomInt(2 ** 31 - 1));
const runs = values.runs ?? String(FUZZ_RUNS);
for (const [name, value] of [
  ['--seed', seed],
  ['--runs', runs],
] as const) {
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number, got "${value}"`);
}
process.stderr.write(
  `fuzz: seed ${seed}, at least ${runs} runs per property (replay: npm run fuzz -- --seed ${seed})\n`,
);

const root = fileURLToPath(new URL('../..', import.meta.url));
const result = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--project',
    'integration',
    // A property of 20,000 runs takes minutes, far past the suite's per-test limit.
    '--testTimeout=0',
    ...PROPERTY_FILES,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs } },
);
process.stderr.write(`fuzz: seed ${seed} ${result.status === 0 ? 'found nothing' : 'FAILED'}\n`);
process.exitCode = result.status ?? 1;
