import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planCapacity, WorkloadError } from '../../../lib/capacity/model.ts';
import { DEFAULT_ACTIVITY_SHARDS, MAX_ACTIVITY_SHARDS } from '../../../lib/config.ts';

// The two worked examples of docs/CAPACITY.md; every figure below is worked out there by hand.
const SMALL_BUSINESS = { sessions: 10_000, writesPerSecond: 5, readsPerSecond: 2, expiringPerDay: 330 };
const TARGET = {
  sessions: 100_000_000,
  writesPerSecond: 20_000,
  readsPerSecond: 5_000,
  expiringPerDay: 5_000_000,
};

/** The mid-size deployment serverless.yml's defaults are for (docs/CAPACITY.md, production defaults). */
const MID_SIZE = {
  sessions: 10_000_000,
  writesPerSecond: 8_000,
  readsPerSecond: 2_000,
  expiringPerDay: 500_000,
  httpShare: 0.05,
};

/** A stage's parameters as deployed: the stage's own over `default`, `${env:X, y}` taken as y. */
function stageParams(stage: string): Record<string, unknown> {
  const yml = parse(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8')) as {
    params: Record<string, Record<string, unknown>>;
  };
  const merged = { ...yml.params.default, ...yml.params[stage] };
  const resolve = (value: unknown) => {
    const match = typeof value === 'string' ? /^\$\{env:\w+,\s*'?([^'}]*)'?\}$/.exec(value) : null;
    if (!match) return value;
    const fallback = match[1] as string;
    return Number.isFinite(Number(fallback)) ? Number(fallback) : fallback;
  };
  return Object.fromEntries(Object.entries(merged).map(([key, value]) => [key, resolve(value)]));
}

const costOf = (plan: ReturnType<typeof planCapacity>, item: string) =>
  plan.cost.find((line) => line.item.startsWith(item));

describe('planCapacity', () => {
  describe('write cost with activity buckets', () => {
    const plan = planCapacity(TARGET);

    it('charges 1 WCU in the same bucket and 1 + 2 index WCU in a new one', () => {
      // Prepare / Act: the plan above. Assess:
      expect(plan.writeCost).toMatchObject({
        sameBucketWcu: 1,
        newBucketWcu: 3,
        newSessionWcu: 2,
      });
    });

    it("charges a delete as a write that leaves a tombstone, and the sweep's removal 1 + 1 index WCU", () => {
      // The user's delete is an UpdateItem in the bucket of the session's last write: no index change.
      expect(plan.writeCost.deleteWcu).toBe(1);
      // The sweep's DeleteItem of the tombstone (or of an expired session) removes the index entry.
      expect(plan.writeCost.sweepDeleteWcu).toBe(2);
      // A deleted session costs 3 WCU from delete to removal, 1 more than one left to expire.
      expect(plan.writeCost.deleteWcu + plan.writeCost.sweepDeleteWcu).toBe(3);
    });

    it('keeps a typical conversation (15 writes in 10 minutes) at or under 1.3 WCU per write', () => {
      expect(plan.writeCost.conversationInOneBucketWcuPerWrite).toBeCloseTo(17 / 15, 10);
      expect(plan.writeCost.conversationExpectedWcuPerWrite).toBeCloseTo((15 + 2 * (7 / 6)) / 15, 10);
      expect(plan.writeCost.conversationExpectedWcuPerWrite).toBeLessThanOrEqual(1.3);
    });
  });

  describe('a small business: 10,000 sessions, 5 writes/s', () => {
    const plan = planCapacity(SMALL_BUSINESS);

    it('needs one shard, one sweep worker and no quota raised', () => {
      expect(plan.activityShards).toBe(1);
      expect(plan.sweepWorkers).toBe(1);
      expect(plan.quotas.filter((quota) => quota.raise)).toEqual([]);
      expect(plan.dynamodb.warmThroughput).toEqual({ table: undefined, index: undefined });
    });

    it('sizes the index for 5 × 7/6 / 15 moves/s plus the 13.75 sessions a run removes: 1 shard', () => {
      expect(plan.index.averageMovesPerSecond).toBeCloseTo(0.3889, 4);
      expect(plan.index.averageWriteUnits).toBeCloseTo(0.7778, 4);
      expect(plan.index.sweepRemovalsPerSecond).toBeCloseTo(330 / 24, 10);
      expect(plan.index.peakWriteUnits).toBeCloseTo(0.7778 + 13.75, 3);
    });

    it('keeps the floors: 10 reserved per request function, a 100 requests/s stage throttle', () => {
      expect(plan.lambda.reservedConcurrency).toEqual({
        createOrGet: 10,
        update: 10,
        clear: 10,
        delete: 10,
        getSession: 10,
        sweep: 1,
      });
      expect(plan.lambda.accountConcurrency).toBe(151);
      expect(plan.httpApi).toMatchObject({ throttleRateLimit: 100, throttleBurstLimit: 200 });
    });

    it('costs about $46 a month at peak all month, most of it requests and their events', () => {
      expect(costOf(plan, 'DynamoDB write request units, table')?.quantity).toBeCloseTo(13_150_037.5, 1);
      expect(costOf(plan, 'DynamoDB write request units, byUpdatedAt')?.quantity).toBeCloseTo(2_054_037.5, 1);
      expect(costOf(plan, 'API Gateway')?.usd).toBeCloseTo(18.396, 3);
      expect(costOf(plan, 'Lambda compute')?.usd).toBe(0);
      expect(costOf(plan, 'DynamoDB storage')?.usd).toBe(0);
      // 730 hourly runs × 256 shard values × 0.5 RCU of empty queries + the sessions' own reads
      expect(costOf(plan, 'DynamoDB read request units')?.quantity).toBeCloseTo(
        2 * 2_628_000 + 730 * 128 + ((330 * (730 / 24) * 62) / 4096) * 0.5,
        6,
      );
      // $32.05 of requests, storage and the sweep; the events' lines are worked out in docs/EVENTS.md.
      expect(costOf(plan, 'EventBridge custom events')?.quantity).toBeCloseTo(13_150_037.5, 1);
      expect(plan.monthlyCostUsd).toBe(46);
    });
  });

  describe('the target: 100 million sessions, 20,000 writes/s, 5,000 reads/s, 5 million expiring a day', () => {
    const plan = planCapacity(TARGET);

    it('sizes shards for the sessions crossing a bucket plus the sweep, with 2× headroom: 8', () => {
      // 20,000 writes/s × (1 + 10/60) crossings per 15-write conversation
      expect(plan.index.averageMovesPerSecond).toBeCloseTo((20_000 * (7 / 6)) / 15, 6);
      expect(plan.index.averageWriteUnits).toBeCloseTo(3_111.11, 2);
      // one worker at 1 vCPU / 1.5 ms removes 667 entries/s while it runs
      expect(plan.index.sweepRemovalsPerSecond).toBeCloseTo(1000 / 1.5, 6);
      expect(plan.index.peakWriteUnits).toBeCloseTo(3_777.78, 2);
      // ceil(2 × 3,777.78 / 1,000)
      expect(plan.activityShards).toBe(8);
      expect(plan.index.perShardPeakWriteUnits).toBeCloseTo(472.22, 2);
      // One boundary for every session would move 2 × 20,000 entries/s after it: 80 shards.
      expect(plan.index.alignedBoundaryWriteUnits).toBe(40_000);
      expect(plan.index.shardsIfBoundariesAligned).toBe(80);
    });

    it('keeps up with 5 million a day on one worker of one vCPU', () => {
      expect(plan.sweepWorkers).toBe(1);
      expect(plan.sweep).toMatchObject({
        schedule: 'rate(1 hour)',
        timeoutSeconds: 900,
        memoryMb: 1769,
        deletesInFlight: 14,
      });
      expect(plan.sweep.deletesPerSecondPerWorker).toBeCloseTo(1000 / 1.5, 6);
      expect(plan.sweep.deletesPerRunPerWorker).toBeCloseTo((1000 / 1.5) * 890, 3);
      expect(plan.sweep.expiringPerRun).toBeCloseTo(5_000_000 / 24, 6);
      expect(plan.sweep.maxLatenessMinutes).toBe(135);
    });

    it('reserves concurrency per function for 11 ms requests, 683 in all: within the default quota', () => {
      expect(plan.lambda.requestDurationMs).toBe(11);
      expect(plan.lambda.reservedConcurrency).toEqual({
        createOrGet: 30,
        update: 382,
        clear: 30,
        delete: 30,
        getSession: 110,
        sweep: 1,
      });
      expect(plan.lambda.accountConcurrency).toBe(683);
    });

    it('raises the HTTP API quota and the table write quota, and pre-warms the table only', () => {
      expect(plan.httpApi).toMatchObject({ throttleRateLimit: 50_000, throttleBurstLimit: 5_000 });
      expect(
        Object.fromEntries(
          plan.quotas.filter((quota) => quota.raise).map((quota) => [quota.name, quota.needed]),
        ),
      ).toEqual({
        'API Gateway throttle quota per account, per Region': 50_000,
        'DynamoDB table-level write throughput (on-demand), the table': 42_000,
      });
      // The index peaks at 3,778 WCU/s, under the 4,000 a new table serves at once.
      expect(plan.dynamodb.warmThroughput).toEqual({
        table: { ReadUnitsPerSecond: 12_000, WriteUnitsPerSecond: 21_000 },
        index: undefined,
      });
    });

    it('costs the peak all month: table and index write units, HTTP API tiers, storage beyond 25 GB', () => {
      // 20,000 × 2,628,000 s + 5,000,000 × 30.4167 days of sweep deletes
      expect(costOf(plan, 'DynamoDB write request units, table')?.quantity).toBeCloseTo(52_712_083_333.3, 0);
      // 1,555.6 moves/s × 2 WCU × 2,628,000 s + the sweep's entry removals
      expect(costOf(plan, 'DynamoDB write request units, byUpdatedAt')?.quantity).toBeCloseTo(
        8_328_083_333.3,
        0,
      );
      // 300 M × $1.00 + 700 M × $0.90 + 64.7 G × $0.80 per million
      expect(costOf(plan, 'API Gateway')?.usd).toBeCloseTo(52_690, 6);
      // 100 M × (1,024 + 100) B + 100 M × (62 + 100) B = 119.8 GB, less 25 free, × $0.25
      expect(costOf(plan, 'DynamoDB storage')?.usd).toBeCloseTo(23.69, 2);
      // 730 runs × 128 RCU for the 256 shard values, + index pages of 5 M entries a day
      expect(costOf(plan, 'DynamoDB read request units')?.quantity).toBeCloseTo(
        5_000 * 2_628_000 + 730 * 128 + ((5_000_000 * (730 / 24) * 62) / 4096) * 0.5,
        3,
      );
      // $110,464.21 without the events' lines (docs/EVENTS.md): one custom event per change, $53,352.53.
      expect(plan.monthlyCostUsd).toBe(163_816.75);
    });
  });

  describe('the target with a 30 million backlog to clear within a day', () => {
    const plan = planCapacity({ ...TARGET, backlog: 30_000_000 });

    it('fans out to 3 workers and clears the backlog in about 19 hours', () => {
      // (30 M / 24 h + 208,333 a run) / 593,333 a run per worker = 2.46
      expect(plan.sweepWorkers).toBe(3);
      // 30 M / (3 × 593,333 − 208,333) per hour
      expect(plan.sweep.backlogClearHours).toBeCloseTo(
        30_000_000 / (3 * (1000 / 1.5) * 890 - 5_000_000 / 24),
        6,
      );
      expect(plan.sweep.backlogClearHours).toBeCloseTo(19.09, 2);
      expect(plan.lambda.reservedConcurrency.sweep).toBe(3);
    });

    it('sizes shards for 3 workers removing 2,000 entries/s beside the moves: 11', () => {
      expect(plan.index.sweepRemovalsPerSecond).toBeCloseTo(2_000, 6);
      expect(plan.index.peakWriteUnits).toBeCloseTo(5_111.11, 2);
      // ceil(2 × 5,111.11 / 1,000)
      expect(plan.activityShards).toBe(11);
      expect(plan.dynamodb.tablePeakWriteUnits).toBeCloseTo(22_000, 6);
      expect(plan.dynamodb.warmThroughput).toEqual({
        table: { ReadUnitsPerSecond: 12_000, WriteUnitsPerSecond: 22_000 },
        index: { WriteUnitsPerSecond: 6_000 },
      });
      expect(plan.monthlyCostUsd).toBe(163_816.79);
    });

    it('would take about 78 hours on one worker', () => {
      const oneWorker = planCapacity({ ...TARGET, backlog: 30_000_000, backlogHours: 100 });
      expect(oneWorker.sweepWorkers).toBe(1);
      expect(oneWorker.sweep.backlogClearHours).toBeCloseTo(77.92, 2);
    });
  });

  it('gives the default shard count at the most writes the default table quota takes, backlog sweep included', () => {
    // 38,000 writes/s + 3 workers' 2,000 deletes/s = 40,000 WCU/s, the default on-demand table quota.
    const plan = planCapacity({ ...TARGET, writesPerSecond: 38_000, backlog: 30_000_000 });
    expect(plan.dynamodb.tablePeakWriteUnits).toBeCloseTo(40_000, 6);
    // ceil(2 × (38,000 × 7/90 × 2 + 2,000) / 1,000) = ceil(15.82)
    expect(plan.index.peakWriteUnits).toBeCloseTo(7_911.11, 2);
    expect(plan.activityShards).toBe(16);
    expect(DEFAULT_ACTIVITY_SHARDS).toBe(plan.activityShards);
  });

  it('caps the shard count at the ceiling and says so', () => {
    const plan = planCapacity({ ...TARGET, writesPerSecond: 2_000_000 });
    expect(plan.activityShards).toBe(MAX_ACTIVITY_SHARDS);
    // ceil(2 × (2,000,000 × 7/90 × 2 + 667) / 1,000) = ceil(623.6)
    expect(plan.warnings).toEqual([expect.stringContaining('needs 624 shards')]);
  });

  it.each([
    ['a negative session count', { ...TARGET, sessions: -1 }],
    ['a share of HTTP requests above 1', { ...TARGET, httpShare: 1.5 }],
    ['items over 1 KB', { ...TARGET, itemBytes: 2048 }],
    ['no finite write rate', { ...TARGET, writesPerSecond: Number.NaN }],
  ])('rejects %s with a WorkloadError', (_, workload) => {
    expect(() => planCapacity(workload)).toThrow(WorkloadError);
  });

  describe('the defaults serverless.yml deploys', () => {
    const defaults = stageParams('prod');

    it('sweeps as the model sizes a worker: hourly, 900 s, one vCPU, at least its deletes in flight', () => {
      const { sweep, sweepWorkers } = planCapacity(TARGET);
      expect(defaults).toMatchObject({
        sweepSchedule: sweep.schedule,
        sweepTimeout: sweep.timeoutSeconds,
        sweepMemory: sweep.memoryMb,
        sweepWorkers,
      });
      // 16 in flight against the model's 14: CPU-bound up to 16 / 667 per s = 24 ms per request.
      expect(defaults.sweepConcurrency).toBe(16);
      expect(defaults.sweepConcurrency).toBeGreaterThanOrEqual(sweep.deletesInFlight);
    });

    it('throttles the HTTP API and reserves concurrency for the mid-size deployment, or more', () => {
      const plan = planCapacity(MID_SIZE);
      // 5% of 10,000 requests/s over HTTP: 2 × 500 requests/s, a burst of 2 s at that rate.
      expect(defaults).toMatchObject({
        throttleRateLimit: plan.httpApi.throttleRateLimit,
        throttleBurstLimit: plan.httpApi.throttleBurstLimit,
      });
      expect(plan.httpApi).toMatchObject({ throttleRateLimit: 1_000, throttleBurstLimit: 2_000 });
      expect(plan.lambda.reservedConcurrency).toEqual({
        createOrGet: 12,
        update: 153,
        clear: 12,
        delete: 12,
        getSession: 44,
        sweep: 1,
      });
      const reserved = defaults.reservedConcurrency as Record<string, number>;
      for (const [name, needed] of Object.entries(plan.lambda.reservedConcurrency)) {
        if (name !== 'sweep') expect(reserved[name], name).toBeGreaterThanOrEqual(needed);
      }
      // 400 reserved + 1 sweep worker + 100 unreserved: half the default quota of 1,000.
      const total = Object.values(reserved).reduce((a, b) => a + b, 0);
      expect(total + 1 + 100).toBe(501);
      expect(plan.activityShards).toBeLessThanOrEqual(DEFAULT_ACTIVITY_SHARDS);
    });

    it('uses the default shard count', () => {
      expect(defaults.activityShards).toBe(DEFAULT_ACTIVITY_SHARDS);
    });
  });
});
