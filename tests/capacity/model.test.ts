import { describe, expect, it } from 'vitest';
import { planCapacity, WorkloadError } from '../../lib/capacity/model.ts';
import { MAX_ACTIVITY_SHARDS } from '../../lib/shard.ts';

// The two worked examples of docs/CAPACITY.md; every figure below is worked out there by hand.
const SMALL_BUSINESS = { sessions: 10_000, writesPerSecond: 5, readsPerSecond: 2, expiringPerDay: 330 };
const TARGET = {
  sessions: 100_000_000,
  writesPerSecond: 20_000,
  readsPerSecond: 5_000,
  expiringPerDay: 5_000_000,
};

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
        deleteWcu: 2,
      });
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

    it('sizes the index for 5 × 7/6 / 15 moves/s and the top-of-the-hour burst of 10 WCU/s', () => {
      expect(plan.index.averageMovesPerSecond).toBeCloseTo(0.3889, 4);
      expect(plan.index.boundaryWriteUnits).toBe(10);
      // 0.78 WCU/s of moves plus the 13.75 sessions one run finds, mid-hour.
      expect(plan.index.peakWriteUnits).toBeCloseTo(0.7778 + 13.75, 3);
    });

    it('keeps the floors: 10 reserved per request function, a 100 requests/s stage throttle', () => {
      expect(plan.lambda.reservedConcurrency).toEqual({
        createOrGet: 10,
        update: 10,
        clear: 10,
        delete: 10,
        getSession: 10,
        sweep: 2,
      });
      expect(plan.lambda.accountConcurrency).toBe(152);
      expect(plan.httpApi).toMatchObject({ throttleRateLimit: 100, throttleBurstLimit: 100 });
    });

    it('costs about $32 a month at peak all month, most of it requests', () => {
      expect(costOf(plan, 'DynamoDB write request units, table')?.quantity).toBeCloseTo(13_150_037.5, 1);
      expect(costOf(plan, 'DynamoDB write request units, byUpdatedAt')?.quantity).toBeCloseTo(2_054_037.5, 1);
      expect(costOf(plan, 'API Gateway')?.usd).toBeCloseTo(18.396, 3);
      expect(costOf(plan, 'Lambda compute')?.usd).toBe(0);
      expect(costOf(plan, 'DynamoDB storage')?.usd).toBe(0);
      // Sweep queries read all 256 shard values every hour: 0.09 M RRU of the reads.
      expect(plan.monthlyCostUsd).toBeCloseTo(32.05, 2);
    });
  });

  describe('the target: 100 million sessions, 20,000 writes/s, 5,000 reads/s, 5 million expiring a day', () => {
    const plan = planCapacity(TARGET);

    it('sizes shards for the top-of-the-hour burst, 2 × 20,000 WCU/s, with 2× headroom: 80', () => {
      expect(plan.index.averageMovesPerSecond).toBeCloseTo((20_000 * (7 / 6)) / 15, 6);
      expect(plan.index.averageWriteUnits).toBeCloseTo(3_111.11, 2);
      expect(plan.index.boundaryWriteUnits).toBe(40_000);
      expect(plan.activityShards).toBe(80);
      expect(plan.activityShards).toBeLessThanOrEqual(MAX_ACTIVITY_SHARDS);
      expect(plan.index.perShardPeakWriteUnits).toBe(500);
      // Spread over the hour, the average plus one worker's 667 deletes/s would need 8.
      expect(plan.index.shardsIfBoundariesStaggered).toBe(8);
    });

    it('keeps up with 5 million a day on one worker of one vCPU', () => {
      expect(plan.sweepWorkers).toBe(1);
      expect(plan.sweep).toMatchObject({
        schedule: 'cron(30 * * * ? *)',
        timeoutSeconds: 900,
        memoryMb: 1769,
        deletesInFlight: 14,
      });
      expect(plan.sweep.deletesPerSecondPerWorker).toBeCloseTo(1000 / 1.5, 6);
      expect(plan.sweep.deletesPerRunPerWorker).toBeCloseTo((1000 / 1.5) * 890, 3);
      expect(plan.sweep.expiringPerRun).toBeCloseTo(5_000_000 / 24, 6);
      expect(plan.sweep.maxLatenessMinutes).toBe(135);
    });

    it('reserves concurrency per function for 11 ms requests, 684 in all: within the default quota', () => {
      expect(plan.lambda.requestDurationMs).toBe(11);
      expect(plan.lambda.reservedConcurrency).toEqual({
        createOrGet: 30,
        update: 382,
        clear: 30,
        delete: 30,
        getSession: 110,
        sweep: 2,
      });
      expect(plan.lambda.accountConcurrency).toBe(684);
    });

    it('raises the HTTP API quota and the table and index write quotas, and pre-warms both', () => {
      expect(plan.httpApi).toMatchObject({ throttleRateLimit: 50_000, throttleBurstLimit: 5_000 });
      expect(
        Object.fromEntries(
          plan.quotas.filter((quota) => quota.raise).map((quota) => [quota.name, quota.needed]),
        ),
      ).toEqual({
        'API Gateway throttle quota per account, per Region': 50_000,
        'DynamoDB table-level write throughput (on-demand), the table': 42_000,
        'DynamoDB table-level write throughput (on-demand), the byUpdatedAt index': 80_000,
      });
      expect(plan.dynamodb.warmThroughput).toEqual({
        table: { ReadUnitsPerSecond: 12_000, WriteUnitsPerSecond: 21_000 },
        index: { WriteUnitsPerSecond: 40_000 },
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
      expect(plan.monthlyCostUsd).toBeCloseTo(110_464.21, 2);
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
      expect(plan.lambda.reservedConcurrency.sweep).toBe(4);
    });

    it('would take about 78 hours on one worker', () => {
      const oneWorker = planCapacity({ ...TARGET, backlog: 30_000_000, backlogHours: 100 });
      expect(oneWorker.sweepWorkers).toBe(1);
      expect(oneWorker.sweep.backlogClearHours).toBeCloseTo(77.92, 2);
    });
  });

  it('caps the shard count at the ceiling and says so', () => {
    const plan = planCapacity({ ...TARGET, writesPerSecond: 70_000 });
    expect(plan.activityShards).toBe(MAX_ACTIVITY_SHARDS);
    expect(plan.warnings).toEqual([expect.stringContaining('needs 280 shards')]);
  });

  it.each([
    ['a negative session count', { ...TARGET, sessions: -1 }],
    ['a share of HTTP requests above 1', { ...TARGET, httpShare: 1.5 }],
    ['items over 1 KB', { ...TARGET, itemBytes: 2048 }],
    ['no finite write rate', { ...TARGET, writesPerSecond: Number.NaN }],
  ])('rejects %s with a WorkloadError', (_, workload) => {
    expect(() => planCapacity(workload)).toThrow(WorkloadError);
  });
});
