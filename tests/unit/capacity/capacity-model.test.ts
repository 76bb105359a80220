import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { POLICY } from '../../../lib/capacity/constants.ts';
import { concurrencyFor, planCapacity, WorkloadError } from '../../../lib/capacity/model.ts';
import { DEFAULT_ACTIVITY_SHARDS, MAX_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import { INACTIVE_PAGE_LIMIT } from '../../../lib/sweep/session-index.ts';

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
const plan800 = () => planCapacity(TARGET);

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

  describe('write cost by item size', () => {
    it('charges 1 WCU per started KB of the item, the index entry 1 WCU', () => {
      const small = planCapacity({ ...TARGET, itemBytes: 1_024 });
      const large = planCapacity({ ...TARGET, itemBytes: 2_500 });

      expect(small.writeCost).toMatchObject({ sameBucketWcu: 1, newBucketWcu: 3, sweepDeleteWcu: 2 });
      // 2,500 bytes: 3 started KB for the item, the 62-byte index entry still 1 per entry write.
      expect(large.writeCost).toMatchObject({
        sameBucketWcu: 3,
        newBucketWcu: 5,
        newSessionWcu: 4,
        deleteWcu: 3,
        sweepDeleteWcu: 4,
      });
      // 20,000 writes and the sweep's 667 deletes a second, 3 WCU each
      expect(large.dynamodb.tablePeakWriteUnits).toBeCloseTo(3 * (20_000 + 1000 / 1.5), 6);
      expect(costOf(large, 'DynamoDB write request units, table')?.quantity).toBeCloseTo(
        3 * (costOf(plan800(), 'DynamoDB write request units, table')?.quantity ?? 0),
        0,
      );
    });

    it("defaults to an 800-byte item, and refuses one over DynamoDB's 400 KB", () => {
      expect(planCapacity(TARGET).workload.itemBytes).toBe(800);
      expect(() => planCapacity({ ...TARGET, itemBytes: 400 * 1024 + 1 })).toThrow(WorkloadError);
    });
  });

  describe('the concurrency rule: 2 × max(rate × duration, rate / 10)', () => {
    it('sizes a fast function by its request rate: one environment serves at most 10 requests a second', () => {
      const plan = planCapacity(TARGET);
      // 11 ms a request: 17,333 updates/s hold 191 environments, but need 1,734 for their rate.
      expect(plan.lambda.peakRequestsPerSecond.update).toBeCloseTo((20_000 * 13) / 15, 6);
      expect(plan.lambda.reservedConcurrency.update).toBe(Math.ceil(2 * ((20_000 * 13) / 15 / 10)));
      expect(plan.lambda.reservedConcurrency.getSession).toBe(1_000);
    });

    it.each([
      ['a slow function: its requests in flight', 100, 500, 2 * 50],
      ['a fast function: its request rate', 1_000, 11, 2 * 100],
      ['the break-even at 100 ms', 300, 100, 2 * 30],
      ['a fraction of an environment', 1, 11, 1],
    ])('sizes %s', (_name, perSecond, durationMs, expected) => {
      expect(concurrencyFor(perSecond, durationMs)).toBe(expected);
    });

    it('sizes the account for every reservation plus 100 unreserved, and at least its request rate', () => {
      const plan = planCapacity(TARGET);
      // 25,000 requests/s need 2,500 environments; with headroom 5,000.
      expect(plan.lambda.accountConcurrencyForRequestRate).toBe(5_000);
      // 267 + 3,467 + 267 + 267 + 1,000 + 1 sweep worker + 100
      expect(plan.lambda.accountConcurrency).toBe(5_369);
      expect(plan.quotas.find((quota) => quota.name.startsWith('Lambda'))).toMatchObject({
        raise: true,
        needed: 5_369,
      });
    });

    it('keeps the floor of 10 for a small function', () => {
      expect(planCapacity(SMALL_BUSINESS).lambda.reservedConcurrency.createOrGet).toBe(10);
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

    it('sizes the index for 5 × 7/6 / 15 moves/s plus the 3.44 sessions a run removes: 1 shard', () => {
      expect(plan.index.averageMovesPerSecond).toBeCloseTo(0.3889, 4);
      expect(plan.index.averageWriteUnits).toBeCloseTo(0.7778, 4);
      // 330 a day over 96 runs
      expect(plan.index.sweepRemovalsPerSecond).toBeCloseTo(330 / 96, 10);
      expect(plan.index.peakWriteUnits).toBeCloseTo(0.7778 + 3.4375, 3);
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

    it('costs about $47 a month at peak all month, most of it requests and events', () => {
      expect(costOf(plan, 'DynamoDB write request units, table')?.quantity).toBeCloseTo(13_150_037.5, 1);
      expect(costOf(plan, 'DynamoDB write request units, byUpdatedAt')?.quantity).toBeCloseTo(2_054_037.5, 1);
      expect(costOf(plan, 'API Gateway')?.usd).toBeCloseTo(18.396, 3);
      expect(costOf(plan, 'Lambda compute')?.usd).toBe(0);
      expect(costOf(plan, 'DynamoDB storage')?.usd).toBe(0);
      // 2,920 runs (96 a day) × 128 RCU of empty queries + the sessions' own reads + the entries
      // found, in pages of 1,000 each rounded up by at most 0.5
      const swept = 330 * (730 / 24);
      expect(costOf(plan, 'DynamoDB read request units')?.quantity).toBeCloseTo(
        2 * 2_628_000 + 2_920 * 128 + ((swept * 62) / 4096) * 0.5 + (swept / 1_000) * 0.5,
        6,
      );
      // 876,000 metric documents × 646 B + 18.4 M access-log lines × 292 B, less 5 GB free, × $0.50
      expect(costOf(plan, 'CloudWatch Logs')?.quantity).toBeCloseTo(
        (876_000 * 646 + 18_396_000 * 292) / 1e9,
        6,
      );
      expect(costOf(plan, 'CloudWatch Logs')?.usd).toBeCloseTo(0.469, 3);
      // With the lifecycle events' lines (PutEvents, the consumer): $13.96 of it.
      expect(plan.monthlyCostUsd).toBe(46.51);
    });
  });

  describe('the target: 100 million sessions, 20,000 writes/s, 5,000 reads/s, 5 million expiring a day', () => {
    const plan = planCapacity(TARGET);

    it('sizes shards for the sessions crossing a bucket plus the sweep, with 2× headroom: 8', () => {
      // 20,000 writes/s × (1 + 10/60) crossings per 15-write conversation
      expect(plan.index.averageMovesPerSecond).toBeCloseTo((20_000 * (7 / 6)) / 15, 6);
      expect(plan.index.averageWriteUnits).toBeCloseTo(3_111.11, 2);
      // one worker at 1 vCPU / 1.5 ms removes 667 entries/s while it runs, spread over the shards
      expect(plan.index.sweepRemovalsPerSecond).toBeCloseTo(1000 / 1.5, 6);
      expect(plan.index.peakWriteUnits).toBeCloseTo(3_777.78, 2);
      // ceil(2 × 3,777.78 / 1,000)
      expect(plan.activityShards).toBe(8);
      expect(plan.index.perShardPeakWriteUnits).toBeCloseTo(472.22, 2);
      // One boundary for every session would move 2 × 20,000 entries/s after it: 80 shards.
      expect(plan.index.alignedBoundaryWriteUnits).toBe(40_000);
      expect(plan.index.shardsIfBoundariesAligned).toBe(80);
    });

    it('keeps up with 5 million a day on one worker of one vCPU, busy 14 minutes of every 15', () => {
      expect(plan.sweepWorkers).toBe(1);
      expect(plan.sweep).toMatchObject({
        schedule: 'rate(15 minutes)',
        timeoutSeconds: 840,
        memoryMb: 1769,
        deletesInFlight: 14,
      });
      expect(plan.sweep.deletesPerSecondPerWorker).toBeCloseTo(1000 / 1.5, 6);
      // (840 − 10) s a run
      expect(plan.sweep.deletesPerRunPerWorker).toBeCloseTo((1000 / 1.5) * 830, 3);
      // 96 runs a day: 53.1 M a day, 3.7× the 14.2 M of hourly runs of 890 s
      expect(96 * plan.sweep.deletesPerRunPerWorker).toBeGreaterThan(3.7 * 24 * (1000 / 1.5) * 890);
      expect(plan.sweep.expiringPerRun).toBeCloseTo(5_000_000 / 96, 6);
      // bucket 60 + interval 15 + run 14 minutes, against 135 hourly
      expect(plan.sweep.maxLatenessMinutes).toBe(89);
    });

    it('raises the Lambda, HTTP API and table write quotas, and pre-warms the table only', () => {
      expect(plan.httpApi).toMatchObject({ throttleRateLimit: 50_000, throttleBurstLimit: 5_000 });
      expect(
        Object.fromEntries(
          plan.quotas.filter((quota) => quota.raise).map((quota) => [quota.name, quota.needed]),
        ),
      ).toEqual({
        'Lambda concurrent executions (per Region)': 5_369,
        'API Gateway throttle quota per account, per Region': 50_000,
        'DynamoDB table-level write throughput (on-demand), the table': 42_000,
      });
      // The index peaks at 3,778 WCU/s, under the 4,000 a new table serves at once.
      expect(plan.dynamodb.warmThroughput).toEqual({
        table: { ReadUnitsPerSecond: 12_000, WriteUnitsPerSecond: 21_000 },
        index: undefined,
      });
    });

    it('costs the peak all month: write units by size, HTTP API tiers, logs and backups', () => {
      // 20,000 × 2,628,000 s + 5,000,000 × 30.4167 days of sweep deletes, 1 WCU each at 800 bytes
      expect(costOf(plan, 'DynamoDB write request units, table')?.quantity).toBeCloseTo(52_712_083_333.3, 0);
      // 1,555.6 moves/s × 2 WCU × 2,628,000 s + the sweep's entry removals
      expect(costOf(plan, 'DynamoDB write request units, byUpdatedAt')?.quantity).toBeCloseTo(
        8_328_083_333.3,
        0,
      );
      // 300 M × $1.00 + 65.4 G × $0.90 per million
      expect(costOf(plan, 'API Gateway')?.usd).toBeCloseTo(300 + 65_400 * 0.9, 6);
      // 100 M × (800 + 100) B + 100 M × (62 + 100) B = 98.9 GB, less 25 free, × $0.25
      expect(costOf(plan, 'DynamoDB storage')?.usd).toBeCloseTo(18.48, 2);
      // the table's 83.8 GB × $0.20
      expect(costOf(plan, 'DynamoDB point-in-time recovery')?.usd).toBeCloseTo(16.76, 2);
      // 4.38 G metric documents × 646 B + 65.7 G access-log lines × 292 B
      expect(costOf(plan, 'CloudWatch Logs')?.quantity).toBeCloseTo(
        (((20_000 * 2_628_000) / 15) * 646 + 25_000 * 2_628_000 * 292) / 1e9,
        3,
      );
      // With the lifecycle events' lines, PutEvents above all (about $52,600 at 20,000 writes/s).
      expect(plan.monthlyCostUsd).toBe(181_019.89);
    });

    it("costs Lambda's own lines when they are ingested: 518 bytes an invocation", () => {
      const withLines = planCapacity({ ...TARGET, platformLogs: true });
      const added =
        (costOf(withLines, 'CloudWatch Logs')?.quantity ?? 0) -
        (costOf(plan, 'CloudWatch Logs')?.quantity ?? 0);

      expect(withLines.logs.platformBytesPerInvocation).toBe(518);
      expect(plan.logs).toEqual({
        platformBytesPerInvocation: 0,
        savedBytesPerInvocation: { json: 518, text: 339 },
      });
      // 65.7 G invocations × 518 B = 34 TB, $17,016 a month
      expect(added).toBeCloseTo((65_700_002_920 * 518) / 1e9, 3);
      expect(withLines.monthlyCostUsd - plan.monthlyCostUsd).toBeCloseTo(added * 0.5, 1);
    });

    it('names every cost line', () => {
      expect(plan.cost.map((line) => line.id)).toEqual([
        'dynamodbTableWrites',
        'dynamodbIndexWrites',
        'dynamodbReads',
        'dynamodbStorage',
        'lambdaRequests',
        'lambdaCompute',
        'httpApiRequests',
        'schedulerInvocations',
        'dynamodbPitr',
        'cloudwatchLogs',
        'eventsPutEvents',
        'eventsLambdaRequests',
        'eventsLambdaCompute',
        'eventsStreamReads',
      ]);
      expect(plan.monthlyCostUsd).toBeCloseTo(
        plan.cost.reduce((total, line) => total + line.usd, 0),
        2,
      );
    });
  });

  describe('the target with a 30 million backlog to clear within a day', () => {
    const plan = planCapacity({ ...TARGET, backlog: 30_000_000 });

    it('clears it on one worker in about 15 hours, runs every 15 minutes', () => {
      // (30 M / 24 h / 4 runs + 52,083 a run) / 553,333 a run per worker = 0.66
      expect(plan.sweepWorkers).toBe(1);
      // 30 M / ((553,333 − 52,083) × 4) per hour
      expect(plan.sweep.backlogClearHours).toBeCloseTo(
        30_000_000 / (((1000 / 1.5) * 830 - 5_000_000 / 96) * 4),
        6,
      );
      expect(plan.sweep.backlogClearHours).toBeCloseTo(14.96, 2);
    });

    it('fans out to 3 workers to clear it within 5 hours', () => {
      const fast = planCapacity({ ...TARGET, backlog: 30_000_000, backlogHours: 5 });
      // (30 M / 5 h / 4 + 52,083) / 553,333 = 2.8
      expect(fast.sweepWorkers).toBe(3);
      expect(fast.lambda.reservedConcurrency.sweep).toBe(3);
      expect(fast.index.sweepRemovalsPerSecond).toBeCloseTo(2_000, 6);
    });
  });

  it('gives the default shard count at the most writes the default table quota takes, backlog sweep included', () => {
    // 38,000 writes/s + 3 workers' 2,000 deletes/s = 40,000 WCU/s, the default on-demand table quota.
    const plan = planCapacity({ ...TARGET, writesPerSecond: 38_000, backlog: 30_000_000, backlogHours: 5 });
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
    ['items over 400 KB', { ...TARGET, itemBytes: 500_000 }],
    ['no finite write rate', { ...TARGET, writesPerSecond: Number.NaN }],
  ])('rejects %s with a WorkloadError', (_, workload) => {
    expect(() => planCapacity(workload)).toThrow(WorkloadError);
  });

  describe('the defaults serverless.yml deploys', () => {
    const defaults = stageParams('prod');

    it('sweeps as the model sizes a worker: every 15 minutes, 840 s, one vCPU, at least its deletes in flight', () => {
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
      // 2 × rate / 10: 533/s → 107, 6,933/s → 1,387, 2,000/s → 400
      expect(plan.lambda.reservedConcurrency).toEqual({
        createOrGet: 107,
        update: 1_387,
        clear: 107,
        delete: 107,
        getSession: 400,
        sweep: 1,
      });
      const reserved = defaults.reservedConcurrency as Record<string, number>;
      for (const [name, needed] of Object.entries(plan.lambda.reservedConcurrency)) {
        if (name !== 'sweep') expect(reserved[name], name).toBeGreaterThanOrEqual(needed);
      }
      // The modelled functions' reservations + 1 sweep worker + 100 unreserved make the model's account
      // concurrency; the privacy functions' small reservations (erase, exportUser) come on top, and all of
      // it stays within the account quota prod is sized for.
      const modelled = Object.keys(plan.lambda.reservedConcurrency).filter((name) => name !== 'sweep');
      const total = modelled.reduce((sum, name) => sum + (reserved[name] ?? 0), 0);
      expect(total + 1 + 100).toBe(plan.lambda.accountConcurrency);
      const all = Object.values(reserved).reduce((a, b) => a + b, 0);
      expect(defaults.accountConcurrency).toBeGreaterThanOrEqual(all + 1 + 100);
      expect(plan.activityShards).toBeLessThanOrEqual(DEFAULT_ACTIVITY_SHARDS);
    });

    it('reads the sweep index in pages of the size the model costs', () => {
      expect(INACTIVE_PAGE_LIMIT).toBe(POLICY.sweepPageEntries);
    });

    it('uses the default shard count', () => {
      expect(defaults.activityShards).toBe(DEFAULT_ACTIVITY_SHARDS);
    });
  });
});
