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
 * Measured (BENCHMARKS.md section 2): items stay under 1 KB, a session read under 4 KB. `write` is any
 * UpdateItem, the user's delete included (it leaves a tombstone); `delete` is the sweep's DeleteItem.
 */
export const TABLE_UNITS = { write: 1, read: 1, delete: 1 } as const;

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
  /** Price per million requests by monthly volume tier: first 300 million, next 700 million, beyond. */
  tiers: [
    { upTo: 300_000_000, usdPerMillion: 1.0 },
    { upTo: 1_000_000_000, usdPerMillion: 0.9 },
    { upTo: Number.POSITIVE_INFINITY, usdPerMillion: 0.8 },
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
  /** The sweep: hourly (serverless.yml's default `sweepSchedule`). */
  sweepSchedule: 'rate(1 hour)',
  sweepRunsPerDay: 24,
  /** Stop this long before the function's deadline (lib/sweep/sweep.ts `safetyMarginMs`). */
  sweepSafetyMarginS: 10,
  /** Smallest reserved concurrency for a request function, so a small deployment still serves a burst. */
  minReservedConcurrency: 10,
  /** HTTP API stage limits are rounded up to this many requests per second. */
  throttleStep: 100,
  /** The stage's burst: this many seconds at its rate, so a page-load spike is not refused. */
  throttleBurstSeconds: 2,
} as const;
