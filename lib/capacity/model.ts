/**
 * The capacity model: from a workload (sessions, peak writes and reads per second, sessions expiring
 * per day) to the settings to deploy with, the AWS quotas to raise and a monthly cost. Pure: no I/O,
 * no clock, no environment. Every figure comes from ./constants.ts, where each names its source.
 */
import { MAX_ACTIVITY_SHARDS } from '../config.ts';
import {
  ACCESS_LOG_LINE_BYTES,
  CLOUDWATCH_LOGS,
  DAYS_PER_MONTH,
  DEFAULT_ITEM_BYTES,
  DYNAMODB,
  DYNAMODB_PRICES,
  EMF_DOCUMENT_BYTES,
  HANDLER_CPU_MS,
  HOURS_PER_MONTH,
  HTTP_API,
  INDEX_ENTRY_BYTES,
  INDEX_WRITE_UNITS,
  ingestedBytes,
  LAMBDA,
  MAX_ITEM_BYTES,
  PITR,
  PLATFORM_LOG_LINES,
  POLICY,
  SCHEDULER,
  SWEEP_CPU_MS_PER_DELETE,
  UNIT_BYTES,
} from './constants.ts';
import { eventsCost } from './events-cost.ts';

export interface Workload {
  /** Sessions stored. */
  sessions: number;
  /** Session writes per second at peak (create-or-get, update, clear). */
  writesPerSecond: number;
  /** Session reads per second at peak. */
  readsPerSecond: number;
  /** Sessions that pass the inactivity window per day. */
  expiringPerDay: number;
  /** A one-off backlog of expired sessions for the sweep to clear; sizes the workers when given. */
  backlog?: number | undefined;
  /** Hours within which the backlog should be cleared (default 24). */
  backlogHours?: number | undefined;
  /** Share of requests that come through the HTTP API rather than direct invocation (default 1). */
  httpShare?: number | undefined;
  /** Average load over the peak, for the monthly cost (default 1: the peak all month, an upper bound). */
  averageToPeak?: number | undefined;
  /** Stored bytes of one session item (default 800): a write costs 1 WCU per started KB of it. */
  itemBytes?: number | undefined;
  /**
   * Whether Lambda's own START/END/REPORT lines are ingested (system log level INFO); prod's WARN
   * leaves them out (default false).
   */
  platformLogs?: boolean | undefined;
}

export interface Quota {
  name: string;
  defaultValue: number;
  needed: number;
  raise: boolean;
  reason: string;
}

/** One line of the monthly cost: a stable `id` (the JSON's name for it), what it is, how much, its price. */
export interface CostLine {
  id: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface CapacityPlan {
  workload: Required<Workload>;
  /** The three figures most callers want, also found below. */
  activityShards: number;
  sweepWorkers: number;
  monthlyCostUsd: number;
  writeCost: {
    sameBucketWcu: number;
    newBucketWcu: number;
    newSessionWcu: number;
    /**
     * The user's delete: an UpdateItem that leaves a tombstone, taken to fall in the bucket of the
     * session's last write (a conversation's end), so its index entry stays; in a new bucket it moves
     * the entry like any write, `newBucketWcu`.
     */
    deleteWcu: number;
    /** The sweep's DeleteItem of an expired session or a tombstone: the item and its index entry go. */
    sweepDeleteWcu: number;
    /** A typical conversation inside one bucket: table and index units per write. */
    conversationInOneBucketWcuPerWrite: number;
    /** The same, counting the chance that the conversation crosses a bucket boundary. */
    conversationExpectedWcuPerWrite: number;
  };
  index: {
    /**
     * Entries moved per second: sessions crossing into a new bucket. Each user's buckets start at an
     * offset of their own (lib/store/shard.ts), so crossings spread evenly over the bucket: this is the rate
     * at every moment, not an average over bursts.
     */
    averageMovesPerSecond: number;
    averageWriteUnits: number;
    /** Index entries the sweep removes per second while it runs (1 index write unit each). */
    sweepRemovalsPerSecond: number;
    /** What the shards are sized for: entry moves plus the sweep's removals. */
    peakWriteUnits: number;
    perShardPeakWriteUnits: number;
    /**
     * Were every bucket to start on the hour, every active session's next write after it would move its
     * entry: 2 write units per write for about a minute. For comparison only: why buckets are staggered.
     */
    alignedBoundaryWriteUnits: number;
    shardsIfBoundariesAligned: number;
  };
  sweep: {
    schedule: string;
    timeoutSeconds: number;
    memoryMb: number;
    deletesInFlight: number;
    deletesPerSecondPerWorker: number;
    deletesPerRunPerWorker: number;
    expiringPerRun: number;
    /** Hours to clear the backlog with the chosen workers, beside the daily expiries. */
    backlogClearHours: number | undefined;
    /** Longest a session stays stored past its expiry when the sweep keeps up. */
    maxLatenessMinutes: number;
  };
  lambda: {
    requestDurationMs: number;
    /** Peak requests per second of each session function. */
    peakRequestsPerSecond: Record<string, number>;
    /**
     * Reserved concurrency of each function: 2 × max(rate × duration, rate / 10) (each environment
     * serves at most 10 requests a second), at least the floor; one per worker for the sweep.
     */
    reservedConcurrency: Record<string, number>;
    /** The account's concurrency: every reservation plus the 100 Lambda keeps unreserved. */
    accountConcurrency: number;
    /** The least the account needs for its peak request rate alone: 2 × all requests / 10. */
    accountConcurrencyForRequestRate: number;
  };
  logs: {
    /** Bytes ingested per invocation for Lambda's own lines, in JSON format (0 at WARN). */
    platformBytesPerInvocation: number;
    /** What the system log level WARN saves per invocation: the JSON lines, and the text ones. */
    savedBytesPerInvocation: { json: number; text: number };
  };
  httpApi: { peakRequestsPerSecond: number; throttleRateLimit: number; throttleBurstLimit: number };
  dynamodb: {
    tablePeakWriteUnits: number;
    tablePeakReadUnits: number;
    indexPeakWriteUnits: number;
    warmThroughput: {
      table: { ReadUnitsPerSecond: number; WriteUnitsPerSecond: number } | undefined;
      index: { WriteUnitsPerSecond: number } | undefined;
    };
  };
  quotas: Quota[];
  cost: CostLine[];
  /** What the settings above cannot cover. */
  warnings: string[];
}

export class WorkloadError extends RangeError {
  override name = 'WorkloadError';
}

const ceilTo = (value: number, step: number) => Math.ceil(value / step) * step;
const GIB = 2 ** 30;

function check(name: string, value: number, { min = 0, max = Number.POSITIVE_INFINITY } = {}) {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new WorkloadError(`${name} must be a number from ${min} to ${max}, got ${value}`);
  }
}

function withDefaults(workload: Workload): Required<Workload> {
  const full: Required<Workload> = {
    sessions: workload.sessions,
    writesPerSecond: workload.writesPerSecond,
    readsPerSecond: workload.readsPerSecond,
    expiringPerDay: workload.expiringPerDay,
    backlog: workload.backlog ?? 0,
    backlogHours: workload.backlogHours ?? 24,
    httpShare: workload.httpShare ?? 1,
    averageToPeak: workload.averageToPeak ?? 1,
    itemBytes: workload.itemBytes ?? DEFAULT_ITEM_BYTES,
    platformLogs: workload.platformLogs ?? false,
  };
  check('sessions', full.sessions);
  check('writesPerSecond', full.writesPerSecond);
  check('readsPerSecond', full.readsPerSecond);
  check('expiringPerDay', full.expiringPerDay);
  check('backlog', full.backlog);
  check('backlogHours', full.backlogHours, { min: 1 });
  check('httpShare', full.httpShare, { max: 1 });
  check('averageToPeak', full.averageToPeak, { max: 1 });
  check('itemBytes', full.itemBytes, { min: 1, max: MAX_ITEM_BYTES });
  return full;
}

function httpApiUsd(requests: number): number {
  let usd = 0;
  let from = 0;
  for (const tier of HTTP_API.tiers) {
    const inTier = Math.max(0, Math.min(requests, tier.upTo) - from);
    usd += (inTier / 1e6) * tier.usdPerMillion;
    from = tier.upTo;
  }
  return usd;
}

/**
 * The concurrency `perSecond` requests of `durationMs` need, with headroom: their requests in flight,
 * but never fewer environments than one per 10 requests a second (LAMBDA.requestsPerSecondPerEnvironment).
 */
export function concurrencyFor(perSecond: number, durationMs: number): number {
  const environments = Math.max(
    (perSecond * durationMs) / 1000,
    perSecond / LAMBDA.requestsPerSecondPerEnvironment,
  );
  return Math.ceil(POLICY.headroom * environments);
}

/** Plans a deployment for `input`; throws WorkloadError for a workload out of range. */
export function planCapacity(input: Workload): CapacityPlan {
  const workload = withDefaults(input);
  const { writesPerSecond: W, readsPerSecond: R, expiringPerDay: E } = workload;
  const k = POLICY.writesPerConversation;
  const crossing = POLICY.conversationMinutes / POLICY.bucketMinutes;

  // Request units by item size: 1 WCU per started KB written or deleted, 1 RCU per started 4 KB read;
  // an index entry (KEYS_ONLY, 62 bytes) writes for 1 unit.
  const TABLE_UNITS = {
    write: Math.ceil(workload.itemBytes / UNIT_BYTES.write),
    delete: Math.ceil(workload.itemBytes / UNIT_BYTES.write),
    read: Math.ceil(workload.itemBytes / UNIT_BYTES.read),
  };
  const entryUnits = Math.ceil(INDEX_ENTRY_BYTES / UNIT_BYTES.write);

  // Write cost: a same-bucket write changes no index key; a new bucket moves the entry.
  const sameBucketWcu = TABLE_UNITS.write + INDEX_WRITE_UNITS.sameBucket * entryUnits;
  const newBucketWcu = TABLE_UNITS.write + INDEX_WRITE_UNITS.move * entryUnits;
  const conversationInOneBucket = (k * TABLE_UNITS.write + INDEX_WRITE_UNITS.move * entryUnits) / k;
  const conversationExpected =
    (k * TABLE_UNITS.write + INDEX_WRITE_UNITS.move * entryUnits * (1 + crossing)) / k;

  // The sweep: one vCPU per worker (one JavaScript thread cannot use more), deletes in flight to
  // cover DynamoDB's latency twice over, and a rate bound by the smaller of CPU and latency.
  const memoryMb = LAMBDA.mbPerVcpu;
  const vcpu = memoryMb / LAMBDA.mbPerVcpu;
  const cpuRate = (1000 * vcpu) / SWEEP_CPU_MS_PER_DELETE;
  const deletesInFlight = Math.ceil((POLICY.headroom * cpuRate * DYNAMODB.requestLatencyMs) / 1000);
  const perWorkerRate = Math.min(cpuRate, (deletesInFlight * 1000) / DYNAMODB.requestLatencyMs);
  const intervalS = (24 * 3600) / POLICY.sweepRunsPerDay;
  const timeoutS = Math.min(LAMBDA.maxTimeoutS, intervalS - POLICY.sweepGapS);
  const perRun = perWorkerRate * (timeoutS - POLICY.sweepSafetyMarginS);
  const expiringPerRun = E / POLICY.sweepRunsPerDay;
  const runsPerHour = POLICY.sweepRunsPerDay / 24;
  const forExpiries = Math.ceil((POLICY.headroom * expiringPerRun) / perRun);
  const forBacklog =
    workload.backlog > 0
      ? Math.ceil((workload.backlog / workload.backlogHours / runsPerHour + expiringPerRun) / perRun)
      : 0;
  const sweepWorkers = Math.min(MAX_ACTIVITY_SHARDS, Math.max(1, forExpiries, forBacklog));
  const netPerHour = (sweepWorkers * perRun - expiringPerRun) * runsPerHour;
  const backlogClearHours =
    workload.backlog > 0
      ? netPerHour > 0
        ? workload.backlog / netPerHour
        : Number.POSITIVE_INFINITY
      : undefined;
  // What the workers can delete per second, but never more than a run finds: a few expired sessions
  // are gone in a fraction of a second, not at the workers' full rate for a second.
  const sweepRate = Math.min(sweepWorkers * perWorkerRate, expiringPerRun + workload.backlog);

  // The index: only sessions crossing into a new bucket move their entry, and since each user's bucket
  // starts at an offset of its own, crossings are spread evenly in time; the sweep removes an entry
  // per delete while it runs.
  const averageMoves = (W * (1 + crossing)) / k;
  const averageWriteUnits = averageMoves * INDEX_WRITE_UNITS.move * entryUnits;
  const sweepRemovals = sweepRate * INDEX_WRITE_UNITS.remove * entryUnits;
  const indexPeak = averageWriteUnits + sweepRemovals;
  const alignedBoundaryWriteUnits = W * INDEX_WRITE_UNITS.move;
  const shardsFor = (units: number) =>
    Math.max(1, Math.ceil((POLICY.headroom * units) / DYNAMODB.partitionWriteUnits));
  const neededShards = shardsFor(indexPeak);
  // Shard values at or above the ceiling are never swept, so the count cannot pass it.
  const activityShards = Math.min(neededShards, MAX_ACTIVITY_SHARDS);
  const warnings =
    neededShards > MAX_ACTIVITY_SHARDS
      ? [
          `the index needs ${neededShards} shards, more than the ceiling MAX_ACTIVITY_SHARDS = ${MAX_ACTIVITY_SHARDS} (lib/store/shard.ts); raise the ceiling first`,
        ]
      : [];

  // Lambda: one request holds an environment for a DynamoDB round trip plus the handler's own work,
  // which takes longer on a 512 MB function's share of a vCPU.
  const requestDurationMs = Math.ceil(
    DYNAMODB.requestLatencyMs + HANDLER_CPU_MS * (LAMBDA.mbPerVcpu / LAMBDA.requestFunctionMb),
  );
  const reserve = (perSecond: number) =>
    Math.max(POLICY.minReservedConcurrency, concurrencyFor(perSecond, requestDurationMs));
  const peakRequestsPerSecond: Record<string, number> = {
    createOrGet: W / k,
    update: (W * (k - 2)) / k,
    clear: W / k,
    delete: W / k,
    getSession: R,
  };
  const reservedConcurrency: Record<string, number> = {
    ...Object.fromEntries(Object.entries(peakRequestsPerSecond).map(([name, rate]) => [name, reserve(rate)])),
    // One per worker, so no worker's run overlaps its next; an operator's run waits for a free one.
    sweep: sweepWorkers,
  };
  const reservedTotal = Object.values(reservedConcurrency).reduce((a, b) => a + b, 0);
  const accountConcurrencyForRequestRate = concurrencyFor(W + R, requestDurationMs);
  const accountConcurrency = Math.max(
    reservedTotal + LAMBDA.unreservedMinimum,
    accountConcurrencyForRequestRate + LAMBDA.unreservedMinimum,
  );

  // HTTP API stage throttle: the peak over HTTP with headroom.
  const peakHttp = workload.httpShare * (W + R);
  const throttleRateLimit = Math.max(
    POLICY.throttleStep,
    ceilTo(POLICY.headroom * peakHttp, POLICY.throttleStep),
  );
  // The burst (the token bucket's size) takes a few seconds at the rate, within the account's burst.
  const throttleBurstLimit = Math.min(
    HTTP_API.accountBurstLimit,
    POLICY.throttleBurstSeconds * throttleRateLimit,
  );

  // DynamoDB: peaks of the table and the index, warm throughput and quotas.
  const tablePeakWriteUnits = W * TABLE_UNITS.write + sweepRate * TABLE_UNITS.delete;
  const tablePeakReadUnits = R * TABLE_UNITS.read;
  const warmTable =
    tablePeakWriteUnits > DYNAMODB.newTableWriteUnits || tablePeakReadUnits > DYNAMODB.newTableReadUnits
      ? {
          ReadUnitsPerSecond: Math.max(DYNAMODB.newTableReadUnits, ceilTo(tablePeakReadUnits, 1000)),
          WriteUnitsPerSecond: Math.max(DYNAMODB.newTableWriteUnits, ceilTo(tablePeakWriteUnits, 1000)),
        }
      : undefined;
  const warmIndex =
    indexPeak > DYNAMODB.newTableWriteUnits ? { WriteUnitsPerSecond: ceilTo(indexPeak, 1000) } : undefined;

  const quota = (name: string, defaultValue: number, needed: number, reason: string): Quota => ({
    name,
    defaultValue,
    needed: Math.max(defaultValue, needed),
    raise: needed > defaultValue,
    reason,
  });
  const quotas: Quota[] = [
    quota(
      'Lambda concurrent executions (per Region)',
      LAMBDA.defaultConcurrency,
      accountConcurrency,
      'every reservation (2 × max(rate × duration, rate / 10) per function) plus the 100 Lambda keeps unreserved',
    ),
    quota(
      'API Gateway throttle quota per account, per Region',
      HTTP_API.accountRateLimit,
      throttleRateLimit,
      'the HTTP API stage throttle, 2× the peak HTTP requests per second',
    ),
    quota(
      'DynamoDB table-level write throughput (on-demand), the table',
      DYNAMODB.onDemandTableQuota,
      ceilTo(POLICY.headroom * tablePeakWriteUnits, 1000),
      '2× the table peak: session writes plus the sweep deletes',
    ),
    quota(
      'DynamoDB table-level write throughput (on-demand), the byUpdatedAt index',
      DYNAMODB.onDemandTableQuota,
      ceilTo(POLICY.headroom * indexPeak, 1000),
      '2× the index peak: entry moves plus the entries the sweep removes',
    ),
    quota(
      'DynamoDB table-level read throughput (on-demand)',
      DYNAMODB.onDemandTableQuota,
      ceilTo(POLICY.headroom * tablePeakReadUnits, 1000),
      '2× the peak session reads',
    ),
  ];

  // Monthly cost at the average load.
  const seconds = HOURS_PER_MONTH * 3600;
  const a = workload.averageToPeak;
  const writes = W * a * seconds;
  const reads = R * a * seconds;
  const sweepDeletes = E * DAYS_PER_MONTH;
  const sweepInvocations = sweepWorkers * POLICY.sweepRunsPerDay * DAYS_PER_MONTH;
  const tableWru = writes * TABLE_UNITS.write + sweepDeletes * TABLE_UNITS.delete;
  const indexWru =
    (averageMoves * a * seconds * INDEX_WRITE_UNITS.move + sweepDeletes * INDEX_WRITE_UNITS.remove) *
    entryUnits;
  // Every run reads at least one half-unit page per shard value it covers, plus the entries it finds,
  // in pages of sweepPageEntries, each rounded up to its half unit.
  const sweepRru =
    sweepInvocations * (MAX_ACTIVITY_SHARDS / sweepWorkers) * 0.5 +
    ((sweepDeletes * INDEX_ENTRY_BYTES) / UNIT_BYTES.read) * 0.5 +
    (sweepDeletes / POLICY.sweepPageEntries) * 0.5;
  const rru = reads * TABLE_UNITS.read + sweepRru;
  const tableGb = (workload.sessions * (workload.itemBytes + DYNAMODB.storageOverheadBytes)) / GIB;
  const indexGb = (workload.sessions * (INDEX_ENTRY_BYTES + DYNAMODB.storageOverheadBytes)) / GIB;
  const requests = (W + R) * a * seconds;
  const lambdaRequests = requests + sweepInvocations;
  const sweepSeconds = sweepDeletes / perWorkerRate + sweepInvocations;
  const gbSeconds =
    requests * (requestDurationMs / 1000) * (LAMBDA.requestFunctionMb / 1024) +
    sweepSeconds * (memoryMb / 1024);
  const httpRequests = workload.httpShare * requests;
  // CloudWatch Logs: Lambda's own lines when ingested, an EMF document per new session, an access-log
  // line per HTTP request.
  const platformBytes = workload.platformLogs ? ingestedBytes(PLATFORM_LOG_LINES.json) : 0;
  const logBytes =
    lambdaRequests * platformBytes +
    (writes / k) * (EMF_DOCUMENT_BYTES + CLOUDWATCH_LOGS.eventOverheadBytes) +
    httpRequests * (ACCESS_LOG_LINE_BYTES + CLOUDWATCH_LOGS.eventOverheadBytes);
  const logGb = logBytes / 1e9;
  const cost: CostLine[] = [
    {
      id: 'dynamodbTableWrites',
      item: 'DynamoDB write request units, table',
      quantity: tableWru,
      unit: 'WRU',
      usd: (tableWru / 1e6) * DYNAMODB_PRICES.usdPerMillionWriteUnits,
    },
    {
      id: 'dynamodbIndexWrites',
      item: 'DynamoDB write request units, byUpdatedAt index',
      quantity: indexWru,
      unit: 'WRU',
      usd: (indexWru / 1e6) * DYNAMODB_PRICES.usdPerMillionWriteUnits,
    },
    {
      id: 'dynamodbReads',
      item: 'DynamoDB read request units (session reads, sweep queries)',
      quantity: rru,
      unit: 'RRU',
      usd: (rru / 1e6) * DYNAMODB_PRICES.usdPerMillionReadUnits,
    },
    {
      id: 'dynamodbStorage',
      item: 'DynamoDB storage, table and index',
      quantity: tableGb + indexGb,
      unit: 'GB-month',
      usd: Math.max(0, tableGb + indexGb - DYNAMODB_PRICES.freeGb) * DYNAMODB_PRICES.usdPerGbMonth,
    },
    {
      id: 'lambdaRequests',
      item: 'Lambda requests',
      quantity: lambdaRequests,
      unit: 'requests',
      usd: (Math.max(0, lambdaRequests - LAMBDA.freeRequestsPerMonth) / 1e6) * LAMBDA.usdPerMillionRequests,
    },
    {
      id: 'lambdaCompute',
      item: 'Lambda compute (arm64)',
      quantity: gbSeconds,
      unit: 'GB-s',
      usd: Math.max(0, gbSeconds - LAMBDA.freeGbSecondsPerMonth) * LAMBDA.usdPerGbSecond,
    },
    {
      id: 'httpApiRequests',
      item: 'API Gateway HTTP API requests',
      quantity: httpRequests,
      unit: 'requests',
      usd: httpApiUsd(httpRequests),
    },
    {
      id: 'schedulerInvocations',
      item: 'EventBridge Scheduler invocations',
      quantity: sweepInvocations,
      unit: 'invocations',
      usd:
        (Math.max(0, sweepInvocations - SCHEDULER.freeInvocationsPerMonth) / 1e6) *
        SCHEDULER.usdPerMillionInvocations,
    },
    {
      id: 'dynamodbPitr',
      item: 'DynamoDB point-in-time recovery (continuous backups), table',
      quantity: tableGb,
      unit: 'GB-month',
      usd: tableGb * PITR.usdPerGbMonth,
    },
    {
      id: 'cloudwatchLogs',
      item: `CloudWatch Logs ingestion (${workload.platformLogs ? "Lambda's START/REPORT lines, " : ''}metric documents, access log)`,
      quantity: logGb,
      unit: 'GB',
      usd: Math.max(0, logGb - CLOUDWATCH_LOGS.freeGbPerMonth) * CLOUDWATCH_LOGS.usdPerGbIngested,
    },
    // The lifecycle events: one stream record per write and per delete (lib/capacity/events-cost.ts).
    ...eventsCost({
      recordsPerMonth: writes + sweepDeletes,
      seconds,
      streamShards: Math.max(1, Math.ceil(tablePeakWriteUnits / DYNAMODB.partitionWriteUnits)),
    }).lines,
  ];
  // Cost lines of other parts of the service are computed in modules of their own and pushed here.
  const monthlyCostUsd = Math.round(cost.reduce((total, line) => total + line.usd, 0) * 100) / 100;

  return {
    workload,
    activityShards,
    sweepWorkers,
    monthlyCostUsd,
    writeCost: {
      sameBucketWcu,
      newBucketWcu,
      newSessionWcu: TABLE_UNITS.write + INDEX_WRITE_UNITS.add * entryUnits,
      deleteWcu: TABLE_UNITS.write + INDEX_WRITE_UNITS.sameBucket * entryUnits,
      sweepDeleteWcu: TABLE_UNITS.delete + INDEX_WRITE_UNITS.remove * entryUnits,
      conversationInOneBucketWcuPerWrite: conversationInOneBucket,
      conversationExpectedWcuPerWrite: conversationExpected,
    },
    index: {
      averageMovesPerSecond: averageMoves,
      averageWriteUnits,
      sweepRemovalsPerSecond: sweepRemovals,
      peakWriteUnits: indexPeak,
      perShardPeakWriteUnits: indexPeak / activityShards,
      alignedBoundaryWriteUnits,
      shardsIfBoundariesAligned: shardsFor(alignedBoundaryWriteUnits),
    },
    sweep: {
      schedule: POLICY.sweepSchedule,
      timeoutSeconds: timeoutS,
      memoryMb,
      deletesInFlight,
      deletesPerSecondPerWorker: perWorkerRate,
      deletesPerRunPerWorker: perRun,
      expiringPerRun,
      backlogClearHours,
      maxLatenessMinutes: POLICY.bucketMinutes + intervalS / 60 + timeoutS / 60,
    },
    lambda: {
      requestDurationMs,
      peakRequestsPerSecond,
      reservedConcurrency,
      accountConcurrency,
      accountConcurrencyForRequestRate,
    },
    logs: {
      platformBytesPerInvocation: platformBytes,
      savedBytesPerInvocation: {
        json: ingestedBytes(PLATFORM_LOG_LINES.json),
        text: ingestedBytes(PLATFORM_LOG_LINES.text),
      },
    },
    httpApi: { peakRequestsPerSecond: peakHttp, throttleRateLimit, throttleBurstLimit },
    dynamodb: {
      tablePeakWriteUnits,
      tablePeakReadUnits,
      indexPeakWriteUnits: indexPeak,
      warmThroughput: { table: warmTable, index: warmIndex },
    },
    quotas,
    cost,
    warnings,
  };
}
