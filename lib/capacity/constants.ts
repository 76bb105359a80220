/**
 * Every figure the capacity model uses, with where it comes from. "AWS" figures are cited with their
 * page in docs/CAPACITY.md (prices for US East, N. Virginia); "measured" ones come from a section of
 * docs/BENCHMARKS.md; "policy" ones are choices this model makes, explained in docs/CAPACITY.md.
 */

/** AWS: DynamoDB throughput. */
export const DYNAMODB = {
  /** Write units per second one partition serves (warm-throughput-scenarios). */
  partitionWriteUnits: 1_000,
  /** Read units per second one partition serves (same page). */
  partitionReadUnits: 3_000,
  /** Default on-demand throughput quota of one table, and of each of its indexes, per second. */
  onDemandTableQuota: 40_000,
  /** What a new on-demand table serves at once, before it has scaled (on-demand-capacity-mode). */
  newTableWriteUnits: 4_000,
  newTableReadUnits: 12_000,
  /** Bytes DynamoDB adds to every item, and to every index entry, when it bills storage. */
  storageOverheadBytes: 100,
  /** Upper end of "single-digit millisecond" latency, for one request in the Region. */
  requestLatencyMs: 10,
} as const;

/** AWS (GSI.Writes) and measured (BENCHMARKS.md section 2): index write units per table write. */
export const INDEX_WRITE_UNITS = {
  /** A write that changes `updatedAt` (a new bucket): delete the old entry, put the new one. */
  move: 2,
  /** A new session: its first entry. */
  add: 1,
  /** An item the sweep deletes (an expired session or a tombstone): its entry goes. */
  remove: 1,
  /** A write that changes no index key attribute (same bucket): nothing. */
  sameBucket: 0,
} as const;

/**
 * AWS (read-write-operations, "Write operations": "one WCU for each write of an item up to 1 KB",
 * larger items in 1 KB steps; reads "one RCU for each strongly consistent read of up to 4 KB"): what a
 * request costs by the size of the item it touches. An UpdateItem costs by the larger of the item before
 * and after; a DeleteItem by the item deleted.
 */
export const UNIT_BYTES = { write: 1_024, read: 4_096 } as const;

/** AWS (ServiceQuotas, "Item size"): the largest item DynamoDB stores. */
export const MAX_ITEM_BYTES = 400 * 1_024;

/**
 * Measured: a session item of a typical conversation (a few booking fields, the write register), in
 * DynamoDB's item-size reckoning (lib/session/item-size.ts). The model's default; `--item-bytes` sets it.
 */
export const DEFAULT_ITEM_BYTES = 800;

/** Measured (BENCHMARKS.md, "The physical limits behind the budgets"): one KEYS_ONLY index entry. */
export const INDEX_ENTRY_BYTES = 62;

/**
 * Measured (BENCHMARKS.md section 7, `tests/bench/sweep-throughput.ts`): client CPU (user + system) per
 * conditional DeleteItem of the sweep, SDK included. 1.14 ms is the median there, single rows reach
 * 1.33 ms on a shared machine; rounded up for margin.
 */
export const SWEEP_CPU_MS_PER_DELETE = 1.5;

/**
 * Measured (BENCHMARKS.md section 1): the largest difference between a handler's p50 and its raw
 * DynamoDB call's p50 (update: 2.87 ms against 2.61 ms), i.e. the handler's own work at one full CPU.
 */
export const HANDLER_CPU_MS = 0.26;

/** AWS: Lambda. */
export const LAMBDA = {
  /**
   * Requests per second one execution environment serves at most: Lambda scales a function by 1,000
   * environments "or 10,000 requests per second" every 10 seconds (scaling-behavior), and limits a
   * function's and the account's request rate to 10 × their concurrency (lambda-concurrency). So a
   * function needs max(rate × duration, rate / 10) environments, whatever its duration.
   */
  requestsPerSecondPerEnvironment: 10,
  /** Memory at which a function has the equivalent of one vCPU (configuration-memory). */
  mbPerVcpu: 1_769,
  /** Memory of the request functions, serverless.yml `provider.memorySize`. */
  requestFunctionMb: 512,
  /** Longest a function may run (gettingstarted-limits). */
  maxTimeoutS: 900,
  /** Default concurrency quota per Region (gettingstarted-limits). */
  defaultConcurrency: 1_000,
  /** Concurrency Lambda keeps unreserved for functions without a reservation (configuration-concurrency). */
  unreservedMinimum: 100,
  /** arm64, first 7.5 billion GB-s a month, us-east-1 (lambda/pricing). */
  usdPerGbSecond: 0.0000133334,
  usdPerMillionRequests: 0.2,
  freeRequestsPerMonth: 1_000_000,
  freeGbSecondsPerMonth: 400_000,
} as const;

/** AWS: API Gateway HTTP API, us-east-1 (api-gateway/pricing, limits). */
export const HTTP_API = {
  /** Price per million requests by monthly volume: $1.00 for the first 300 million, $0.90 after. */
  tiers: [
    { upTo: 300_000_000, usdPerMillion: 1.0 },
    { upTo: Number.POSITIVE_INFINITY, usdPerMillion: 0.9 },
  ],
  /** Account throttle per Region across all APIs, and its burst (limits). */
  accountRateLimit: 10_000,
  accountBurstLimit: 5_000,
  /** Longest an HTTP API waits for its integration (http-api-quotas). */
  integrationTimeoutS: 30,
} as const;

/** AWS: DynamoDB on-demand and storage prices, us-east-1 (dynamodb/pricing/on-demand). */
export const DYNAMODB_PRICES = {
  usdPerMillionWriteUnits: 0.625,
  usdPerMillionReadUnits: 0.125,
  usdPerGbMonth: 0.25,
  freeGb: 25,
} as const;

/**
 * AWS: point-in-time recovery (continuous backups), us-east-1 (dynamodb/pricing/on-demand, "Backup and
 * restore"): billed on the table's size, its global secondary indexes not included.
 */
export const PITR = { usdPerGbMonth: 0.2 } as const;

/**
 * AWS: CloudWatch Logs, us-east-1 (cloudwatch/pricing, "Logs": Standard log class ingestion). An event
 * counts its UTF-8 bytes plus 26 (PutLogEvents API reference: the size of a batch).
 */
export const CLOUDWATCH_LOGS = {
  usdPerGbIngested: 0.5,
  eventOverheadBytes: 26,
  /** Free ingestion a month (always-free tier). */
  freeGbPerMonth: 5,
} as const;

/**
 * AWS: the lines Lambda writes for every invocation, in the shape of the Lambda Developer Guide's
 * examples (nodejs-logging: text START/END/REPORT; telemetry-schema-reference: JSON platform.start
 * and platform.report, the two system lines CloudWatch gets per invocation in JSON format), with this
 * service's names. Their sizes are what the system log level WARN saves per invocation.
 */
export const PLATFORM_LOG_LINES = {
  text: [
    'START RequestId: 79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36 Version: $LATEST',
    'END RequestId: 79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36',
    'REPORT RequestId: 79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 98 MB\t',
  ],
  json: [
    '{"time":"2026-10-08T07:30:28.235Z","type":"platform.start","record":{"requestId":"79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36","functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:session-service-prod-update","version":"$LATEST"}}',
    '{"time":"2026-10-08T07:30:29.470Z","type":"platform.report","record":{"requestId":"79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36","metrics":{"durationMs":12.34,"billedDurationMs":13,"memorySizeMB":512,"maxMemoryUsedMB":98},"status":"success"}}',
  ],
} as const;

/** Bytes CloudWatch Logs ingests for `lines`, one event each. */
export function ingestedBytes(lines: readonly string[]): number {
  return lines.reduce(
    (total, line) => total + new TextEncoder().encode(line).length + CLOUDWATCH_LOGS.eventOverheadBytes,
    0,
  );
}

/**
 * Measured: one access-log line of the HTTP API in serverless.yml's format, for a PATCH that succeeded
 * (266 bytes), and one EMF document of the operation metrics (docs/OPERATIONS.md: about 620 bytes),
 * written by an invocation that counts something: here, each new session.
 */
export const ACCESS_LOG_LINE_BYTES = 266;
export const EMF_DOCUMENT_BYTES = 620;

/** AWS: EventBridge Scheduler, us-east-1 (eventbridge/pricing). */
export const SCHEDULER = {
  freeInvocationsPerMonth: 14_000_000,
  usdPerMillionInvocations: 1.0,
} as const;

/** The AWS Pricing Calculator's month. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** Policy: what the model sizes for, explained in docs/CAPACITY.md. */
export const POLICY = {
  /** Capacity over the expected peak, for shards, sweep and quotas. */
  headroom: 2,
  /** The index's activity bucket: one hour. */
  bucketMinutes: 60,
  /** A typical conversation: 15 writes in 10 minutes. */
  writesPerConversation: 15,
  conversationMinutes: 10,
  /**
   * The sweep: every 15 minutes (serverless.yml's default `sweepSchedule`), each run ending a minute
   * before the next starts (`sweepTimeout` 840 s), so a worker is busy 14 minutes of every 15.
   */
  sweepSchedule: 'rate(15 minutes)',
  sweepRunsPerDay: 96,
  /** Kept between a run's timeout and the next run, so runs of one worker never overlap. */
  sweepGapS: 60,
  /**
   * Entries per page of the sweep's index reads (lib/sweep/session-index.ts INACTIVE_PAGE_LIMIT; a test
   * checks they agree): each page costs its rounding, at most 0.5 RCU.
   */
  sweepPageEntries: 1_000,
  /** Stop this long before the function's deadline (lib/sweep/sweep.ts `safetyMarginMs`). */
  sweepSafetyMarginS: 10,
  /** Smallest reserved concurrency for a request function, so a small deployment still serves a burst. */
  minReservedConcurrency: 10,
  /** HTTP API stage limits are rounded up to this many requests per second. */
  throttleStep: 100,
  /** The stage's burst: this many seconds at its rate, so a page-load spike is not refused. */
  throttleBurstSeconds: 2,
} as const;
