/**
 * `npm run capacity -- --sessions N --writes-per-second W --reads-per-second R --expiring-per-day E
 * [--backlog B] [--backlog-hours H] [--http-share S] [--average-to-peak A] [--item-bytes N] [--platform-logs]
 * [--json]`
 *
 * Prints the settings to deploy with, the AWS quotas to raise and a monthly cost estimate, from the
 * model in ./model.ts (docs/CAPACITY.md explains every figure). Exits 2 on a bad argument.
 */
import { fileURLToPath } from 'node:url';
import { type CapacityPlan, planCapacity, type Workload, WorkloadError } from './model.ts';

const OPTIONS = {
  '--sessions': 'sessions',
  '--writes-per-second': 'writesPerSecond',
  '--reads-per-second': 'readsPerSecond',
  '--expiring-per-day': 'expiringPerDay',
  '--backlog': 'backlog',
  '--backlog-hours': 'backlogHours',
  '--http-share': 'httpShare',
  '--average-to-peak': 'averageToPeak',
  '--item-bytes': 'itemBytes',
} as const satisfies Record<string, keyof Workload>;
const REQUIRED = ['--sessions', '--writes-per-second', '--reads-per-second', '--expiring-per-day'] as const;

export const USAGE =
  'usage: npm run capacity -- --sessions N --writes-per-second W --reads-per-second R --expiring-per-day E ' +
  '[--backlog B] [--backlog-hours H] [--http-share 0..1] [--average-to-peak 0..1] [--item-bytes N] [--platform-logs] [--json]';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses the command line; numbers may use `_` or `,` as thousands separators. */
export function parseArguments(argv: readonly string[]): { workload: Workload; json: boolean } {
  const values: Partial<Record<keyof Workload, number>> = {};
  let json = false;
  let platformLogs = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--json') {
      json = true;
      continue;
    }
    if (argument === '--platform-logs') {
      platformLogs = true;
      continue;
    }
    const [flag, inline] = argument.split('=', 2) as [string, string | undefined];
    if (!(flag in OPTIONS)) throw new UsageError(`unknown argument ${argument}`);
    const text = inline ?? argv[++index];
    if (text === undefined || text.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    const value = Number(text.replace(/[_,]/g, ''));
    if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
      throw new UsageError(`${flag} must be a number of at least 0, got ${text}`);
    }
    values[OPTIONS[flag as keyof typeof OPTIONS]] = value;
  }
  const missing = REQUIRED.filter((flag) => values[OPTIONS[flag]] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')}`);
  return { workload: { ...(values as Workload), platformLogs }, json };
}

const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (value: number) => `$${n(value, 2)}`;

/** The plan as text: settings, quotas, cost, then the arithmetic behind the headline figures. */
function renderPlan(plan: CapacityPlan): string {
  const { workload: w, index, sweep, lambda, httpApi, dynamodb, writeCost } = plan;
  const warm = dynamodb.warmThroughput;
  const lines = [
    `Workload: ${n(w.sessions)} sessions, ${n(w.writesPerSecond)} writes/s and ${n(w.readsPerSecond)} reads/s at peak, ` +
      `${n(w.expiringPerDay)} expiring/day${w.backlog > 0 ? `, a backlog of ${n(w.backlog)} to clear within ${n(w.backlogHours)} h` : ''}.`,
    `Assumed: ${n(w.httpShare * 100)}% of requests over the HTTP API, average load ${n(w.averageToPeak * 100)}% of peak, ` +
      `items of ${n(w.itemBytes)} bytes, Lambda's own log lines ${w.platformLogs ? 'ingested (system log level INFO)' : 'not ingested (WARN)'}, prices of us-east-1.`,
    '',
    'Settings (stage parameters)',
    `  activityShards       ${plan.activityShards}`,
    `  sweepWorkers         ${plan.sweepWorkers}`,
    `  sweepSchedule        ${sweep.schedule}`,
    `  sweep timeout        ${sweep.timeoutSeconds} s`,
    `  sweep memory         ${sweep.memoryMb} MB`,
    `  sweepConcurrency     ${sweep.deletesInFlight} deletes in flight per worker`,
    `  throttleRateLimit    ${n(httpApi.throttleRateLimit)} requests/s`,
    `  throttleBurstLimit   ${n(httpApi.throttleBurstLimit)}`,
    `  reserved concurrency ${Object.entries(lambda.reservedConcurrency)
      .map(([name, value]) => `${name} ${n(value)}`)
      .join(', ')}`,
    `  WarmThroughput       table: ${warm.table ? `${n(warm.table.ReadUnitsPerSecond)} read, ${n(warm.table.WriteUnitsPerSecond)} write units/s` : 'not needed'}; ` +
      `index: ${warm.index ? `${n(warm.index.WriteUnitsPerSecond)} write units/s` : 'not needed'}`,
    '',
    'AWS quotas',
    ...plan.quotas.map(
      (quota) =>
        `  ${quota.raise ? 'RAISE' : 'ok   '} ${quota.name}: ${quota.raise ? `to ${n(quota.needed)}` : `default ${n(quota.defaultValue)} covers it`} (${quota.reason})`,
    ),
    '',
    'Monthly cost (730 hours, us-east-1, always-free tiers deducted)',
    ...plan.cost.map(
      (line) => `  ${usd(line.usd).padStart(12)}  ${line.item}: ${n(line.quantity)} ${line.unit}`,
    ),
    `  ${usd(plan.monthlyCostUsd).padStart(12)}  total`,
    '',
    'Arithmetic',
    `  write cost: same bucket ${writeCost.sameBucketWcu} WCU, new bucket ${writeCost.newBucketWcu} WCU, new session ${writeCost.newSessionWcu}, delete ${writeCost.deleteWcu} (a tombstone), the sweep's removal ${writeCost.sweepDeleteWcu}; ` +
      `a conversation of 15 writes in 10 min: ${n(writeCost.conversationInOneBucketWcuPerWrite, 3)} WCU/write in one bucket, ${n(writeCost.conversationExpectedWcuPerWrite, 3)} counting bucket crossings`,
    `  index: ${n(index.averageMovesPerSecond)} entry moves/s (sessions crossing into a new bucket, spread over the hour) = ${n(index.averageWriteUnits)} WCU/s, ` +
      `+ ${n(index.sweepRemovalsPerSecond)} WCU/s of entries the sweep removes = ${n(index.peakWriteUnits)} WCU/s; ` +
      `shards = ceil(2 × ${n(index.peakWriteUnits)} / 1,000) = ${plan.activityShards} ` +
      `(${n(index.perShardPeakWriteUnits)} WCU/s per shard; were every bucket to start on the hour, ${n(index.alignedBoundaryWriteUnits)} WCU/s after it would need ${index.shardsIfBoundariesAligned})`,
    `  sweep: ${n(sweep.deletesPerSecondPerWorker)} deletes/s per worker, ${n(sweep.deletesPerRunPerWorker)} per run; ` +
      `${n(sweep.expiringPerRun)} expire per run` +
      (sweep.backlogClearHours !== undefined
        ? `; backlog cleared in ${n(sweep.backlogClearHours, 1)} h`
        : '') +
      `; a session is deleted at most ${n(sweep.maxLatenessMinutes)} min after it expires`,
    `  Lambda: ${lambda.requestDurationMs} ms per request; each function reserves 2 × max(rate × duration, rate / 10): ` +
      Object.entries(lambda.peakRequestsPerSecond)
        .map(([name, rate]) => `${name} ${n(rate)}/s → ${n(lambda.reservedConcurrency[name] ?? 0)}`)
        .join(', ') +
      `; the account ${n(lambda.accountConcurrency)} (its request rate alone needs ${n(lambda.accountConcurrencyForRequestRate)}, plus 100 unreserved)`,
    `  logs: Lambda's START/REPORT lines are ${n(plan.logs.savedBytesPerInvocation.json)} bytes an invocation in JSON (${n(plan.logs.savedBytesPerInvocation.text)} as text); ` +
      `${plan.logs.platformBytesPerInvocation > 0 ? 'ingested' : 'not ingested at the system log level WARN'}`,
    ...plan.warnings.map((warning) => `WARNING: ${warning}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function main(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  try {
    const { workload, json } = parseArguments(argv);
    const plan = planCapacity(workload);
    out(json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof WorkloadError) {
      err(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = main(
    process.argv.slice(2),
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  );
}
