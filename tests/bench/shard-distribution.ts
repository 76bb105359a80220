/**
 * How evenly `activityShardOf` spreads real user ids over the index shards. The ids are generated
 * from a fixed seed in the two shapes the service sees (`wa:+<E.164>` from WhatsApp, `web:<uuid>`
 * from the website), so every run reports the same figures. Against each figure stands the same
 * statistic for a perfectly random assignment of the same number of ids (drawn from the same
 * generator): a hash that is as even as chance cannot do better than that.
 *
 * Run alone: `node tests/bench/shard-distribution.ts` prints the section of docs/BENCHMARKS.md.
 */
import { fileURLToPath } from 'node:url';
import { activityShardOf } from '../../lib/store/shard.ts';

export const SHARD_COUNTS = [16, 64, 128] as const;
export const DISTRIBUTION_SEED = 0x5e55_1011;

/** mulberry32: a small, fast 32-bit generator; the same seed gives the same ids on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Country codes with the national significant number length and the leading digits of mobile
 * numbers there, so the generated numbers share the prefixes real ones share.
 */
const MOBILE_PLANS: readonly { cc: string; length: number; prefixes: readonly string[] }[] = [
  { cc: '1', length: 10, prefixes: ['201', '212', '305', '415', '646', '718', '917'] },
  { cc: '44', length: 10, prefixes: ['71', '73', '74', '75', '77', '78', '79'] },
  { cc: '49', length: 11, prefixes: ['151', '152', '157', '160', '170', '171', '176'] },
  { cc: '33', length: 9, prefixes: ['6', '7'] },
  { cc: '34', length: 9, prefixes: ['6', '7'] },
  { cc: '39', length: 10, prefixes: ['32', '33', '34', '35', '36', '38'] },
  { cc: '55', length: 11, prefixes: ['119', '219', '319', '419', '519', '619'] },
  { cc: '52', length: 10, prefixes: ['55', '33', '81'] },
  { cc: '91', length: 10, prefixes: ['6', '7', '8', '9'] },
  { cc: '234', length: 10, prefixes: ['70', '80', '81', '90'] },
  { cc: '27', length: 9, prefixes: ['6', '7', '8'] },
  { cc: '61', length: 9, prefixes: ['4'] },
];

export function whatsappId(random: () => number): string {
  const plan = MOBILE_PLANS[Math.floor(random() * MOBILE_PLANS.length)] as (typeof MOBILE_PLANS)[number];
  const prefix = plan.prefixes[Math.floor(random() * plan.prefixes.length)] as string;
  let digits = prefix;
  while (digits.length < plan.length) digits += Math.floor(random() * 10);
  return `wa:+${plan.cc}${digits}`;
}

/** A version 4 UUID, lower case, as `crypto.randomUUID` writes it, but from the seeded generator. */
export function webId(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Math.floor(random() * 4) + 8) as number).toString(16);
  const text = hex.join('');
  return `web:${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

export interface DistributionRow {
  population: string;
  ids: number;
  shards: number;
  /** ids / shards */
  ideal: number;
  busiest: number;
  quietest: number;
  /** Busiest shard over the ideal: 1 is perfectly even. */
  maxOverIdeal: number;
  minOverIdeal: number;
  /** The same statistic for a uniformly random assignment of as many ids. */
  randomMaxOverIdeal: number;
}

export interface DistributionResult {
  seed: number;
  rows: DistributionRow[];
  examples: string[];
  ms: number;
}

function spread(shards: number, assign: (index: number) => number, ids: number) {
  const counts = new Array<number>(shards).fill(0);
  for (let index = 0; index < ids; index++) {
    const shard = assign(index);
    counts[shard] = (counts[shard] ?? 0) + 1;
  }
  return { busiest: Math.max(...counts), quietest: Math.min(...counts) };
}

/** Generates `idsPerShape` ids of each shape and measures the spread at every shard count. */
export function measureShardDistribution(idsPerShape = 1_000_000): DistributionResult {
  const started = performance.now();
  const random = seededRandom(DISTRIBUTION_SEED);
  const wa = Array.from({ length: idsPerShape }, () => whatsappId(random));
  const web = Array.from({ length: idsPerShape }, () => webId(random));
  const populations: [string, string[]][] = [
    ['`wa:+<E.164>`', wa],
    ['`web:<uuid>`', web],
    ['both, together', [...wa, ...web]],
  ];
  const rows: DistributionRow[] = [];
  for (const [population, ids] of populations) {
    for (const shards of SHARD_COUNTS) {
      const ideal = ids.length / shards;
      const actual = spread(shards, (index) => activityShardOf(ids[index] as string, shards), ids.length);
      const chance = spread(shards, () => Math.floor(random() * shards), ids.length);
      rows.push({
        population,
        ids: ids.length,
        shards,
        ideal,
        busiest: actual.busiest,
        quietest: actual.quietest,
        maxOverIdeal: actual.busiest / ideal,
        minOverIdeal: actual.quietest / ideal,
        randomMaxOverIdeal: chance.busiest / ideal,
      });
    }
  }
  return {
    seed: DISTRIBUTION_SEED,
    rows,
    examples: [wa[0], wa[1], web[0]] as string[],
    ms: performance.now() - started,
  };
}

const count = (value: number) => value.toLocaleString('en-US');

export function shardDistributionSection(result: DistributionResult, heading = '## 6.'): string {
  const rows = result.rows.map((row) => [
    row.population,
    count(row.ids),
    String(row.shards),
    count(Math.round(row.ideal)),
    `${count(row.busiest)} (${((row.busiest / row.ids) * 100).toFixed(3)}%)`,
    `${row.maxOverIdeal.toFixed(3)}×`,
    `${row.minOverIdeal.toFixed(3)}×`,
    `${row.randomMaxOverIdeal.toFixed(3)}×`,
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const header = [
    'User ids',
    'Ids',
    'Shards',
    'Ideal per shard',
    'Busiest shard (share)',
    'Busiest / ideal',
    'Quietest / ideal',
    'Busiest / ideal, random assignment',
  ];
  const worst = result.rows.reduce((a, b) => (b.maxOverIdeal > a.maxOverIdeal ? b : a));
  return `${heading} Index shard distribution

\`activityShardOf(userId, shards)\` (\`lib/store/shard.ts\`: FNV-1a over the UTF-8 bytes, modulo the shard count)
over ${count(result.rows[0]?.ids ?? 0)} generated ids of each real shape: \`wa:+<E.164>\` (twelve countries, each
with its mobile prefixes and number length, e.g. \`${result.examples[0]}\`) and \`web:<uuid>\` (version 4 UUIDs,
e.g. \`${result.examples[2]}\`), from a fixed seed (\`0x${result.seed.toString(16)}\`, mulberry32), so the figures are the
same on every run. The last column is the busiest shard of a uniformly random assignment of as many ids,
from the same generator: the spread chance alone produces. Rerun: \`node tests/bench/shard-distribution.ts\`.

${line(header)}
${line(header.map(() => '---'))}
${rows.map(line).join('\n')}

The busiest shard carries at most ${worst.maxOverIdeal.toFixed(3)}× its fair share (${worst.population}, ${worst.shards} shards): as even
as a random assignment, so the index's write rate per shard is the total over the shard count, to within
a few percent. The capacity model (\`npm run capacity\`, docs/CAPACITY.md) sizes shards with 2× headroom,
far above this spread.`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = measureShardDistribution();
  process.stdout.write(`${shardDistributionSection(result)}\n`);
  process.stderr.write(`measured in ${(result.ms / 1000).toFixed(1)} s\n`);
}
