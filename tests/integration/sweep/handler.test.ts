/**
 * The scheduled sweep function, invoked in process as Lambda would: through its middleware stack, with
 * a fake context. It is built with createSweepHandler on a table of this file's own, so a real sweep here
 * neither sees nor removes other files' sessions.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSweepHandler, type SweepResponse } from '../../../lib/handlers/sweep-handler.ts';
import { indexFor, isolatedTable, storedItem, testDocumentClient } from '../../support/dynamo.ts';
import { captureOutputOf } from '../../support/output-capture.ts';
import { DAY_MS, lambdaContext, type Seed, seedSessions, type TestTable } from '../../support/sweep.ts';

const doc = testDocumentClient();
const EXPIRED = 5;
const LIVE = 4;

let table: TestTable;
let handler: (event: unknown, context: Context) => Promise<SweepResponse>;
let seeded: string[] = [];

beforeAll(async () => {
  table = await isolatedTable();
  handler = createSweepHandler({
    index: indexFor(doc, { tableName: table.tableName }),
    config: { inactiveDays: 30, sweepConcurrency: 16 },
    logger: new Logger({ serviceName: 'session-service', logLevel: 'INFO' }),
    metrics: new Metrics({ namespace: 'session-service', serviceName: 'session-service' }),
  });
});
afterEach(async () => {
  const requests = seeded.map((userId) => ({ DeleteRequest: { Key: { userId } } }));
  for (let start = 0; start < requests.length; start += 25) {
    await doc.send(
      new BatchWriteCommand({ RequestItems: { [table.tableName]: requests.slice(start, start + 25) } }),
    );
  }
  seeded = [];
});
afterAll(async () => {
  await table.drop();
});

/** Stores sessions inactive for 31 to 35 days and for 1 to 29 days, measured from the real clock. */
async function storeSessions() {
  const now = Date.now();
  const expired: Seed[] = Array.from({ length: EXPIRED }, (_, index) => ({
    userId: `expired-${index}`,
    updatedAt: new Date(now - (31 + index) * DAY_MS),
  }));
  const live: Seed[] = Array.from({ length: LIVE }, (_, index) => ({
    userId: `live-${index}`,
    updatedAt: new Date(now - (1 + index * 9) * DAY_MS),
  }));
  const items = await seedSessions(doc, table.tableName, [...expired, ...live]);
  seeded.push(...items.keys());
  return { expired: expired.map((seed) => seed.userId), live: live.map((seed) => seed.userId) };
}

async function stored(userIds: string[]) {
  return Promise.all(userIds.map((userId) => storedItem(doc, userId, table.tableName)));
}

/**
 * Invokes the handler and returns its answer with the lines it wrote to stdout (EMF and logs), each
 * parsed as JSON. Stderr (Powertools' "No application metrics to publish" warning) is kept apart.
 */
async function invoke(event: unknown, context: Context = lambdaContext()) {
  const { result: response, output } = await captureOutputOf(() => handler(event, context));
  return { response, warnings: output.stderr, lines: output.json() };
}

describe('sweepHandler', () => {
  it('answers {} with {ok: true, report}, removing the sessions inactive for more than 30 days', async () => {
    // Prepare
    const { expired, live } = await storeSessions();
    const before = Date.now();

    // Act
    const { response } = await invoke({});

    // Assess
    const after = Date.now();
    expect(response).toMatchObject({
      ok: true,
      report: { examined: EXPIRED, deleted: EXPIRED, skipped: 0, errors: 0, complete: true, dryRun: false },
    });
    const cutoff = response.ok ? Date.parse(response.report.cutoff) : Number.NaN;
    expect(cutoff).toBeGreaterThanOrEqual(before - 30 * DAY_MS);
    expect(cutoff).toBeLessThanOrEqual(after - 30 * DAY_MS);
    expect((await stored(expired)).every((item) => item === undefined)).toBe(true);
    expect((await stored(live)).every((item) => item !== undefined)).toBe(true);
  });

  it.each([
    { event: { dryRun: true }, examined: EXPIRED },
    { event: { dryRun: true, inactiveDays: 30 }, examined: EXPIRED },
    { event: { dryRun: true, inactiveDays: 3650 }, examined: 0 },
  ])(
    'answers $event with {ok: true, report} counting $examined and removing nothing',
    async ({ event, examined }) => {
      // Prepare
      const { expired, live } = await storeSessions();

      // Act
      const { response, lines } = await invoke(event);

      // Assess
      expect(response).toMatchObject({
        ok: true,
        report: { examined, deleted: 0, skipped: 0, errors: 0, complete: true, dryRun: true },
      });
      expect((await stored([...expired, ...live])).every((item) => item !== undefined)).toBe(true);
      // A dry run publishes no sweep metrics.
      expect(lines.filter((line) => '_aws' in line)).toEqual([]);
    },
  );

  it.each([
    { event: { inactiveDays: 0 }, path: 'inactiveDays' },
    // Shorter than the service's 30-day window: it would delete sessions still served as live.
    { event: { inactiveDays: 7 }, path: 'inactiveDays' },
    { event: { dryRun: true, inactiveDays: 29 }, path: 'inactiveDays' },
    { event: { inactiveDays: 3651 }, path: 'inactiveDays' },
    { event: { inactiveDays: 1.5 }, path: 'inactiveDays' },
    { event: { dryRun: 'yes' }, path: 'dryRun' },
    { event: { extra: 1 }, path: 'extra' },
    { event: [], path: '' },
    { event: 'sweep', path: '' },
  ])('rejects $event with VALIDATION_FAILED naming "$path", and sweeps nothing', async ({ event, path }) => {
    // Prepare
    const { expired } = await storeSessions();

    // Act
    const { response } = await invoke(event);

    // Assess
    expect(response).toEqual({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: expect.any(String),
        details: [expect.objectContaining({ path })],
      },
    });
    expect((await stored(expired)).every((item) => item !== undefined)).toBe(true);
  });

  it('stops at once and answers complete: false when the invocation is already near its deadline', async () => {
    // Prepare
    const { expired } = await storeSessions();

    // Act
    const { response } = await invoke(
      {},
      lambdaContext(() => 5_000),
    );

    // Assess
    expect(response).toMatchObject({ ok: true, report: { complete: false, examined: 0, deleted: 0 } });
    expect((await stored(expired)).every((item) => item !== undefined)).toBe(true);
  });

  it('emits SessionsSwept, SessionsSkipped, SweepErrors and SweepDurationMs as EMF, and logs one summary line', async () => {
    // Prepare
    await storeSessions();
    const context = lambdaContext();

    // Act
    const { response, lines, warnings } = await invoke({}, context);

    // Assess
    if (!response.ok) throw new Error(`the sweep failed: ${response.error.message}`);
    const { report } = response;
    const emf = lines.filter((line) => '_aws' in line);
    expect(emf).toHaveLength(1);
    const [metrics] = emf as [Record<string, unknown>];
    expect(metrics).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'session-service',
            Metrics: expect.arrayContaining([
              { Name: 'SessionsSwept', Unit: 'Count' },
              { Name: 'SessionsSkipped', Unit: 'Count' },
              { Name: 'SweepErrors', Unit: 'Count' },
              { Name: 'SweepDurationMs', Unit: 'Milliseconds' },
            ]),
          },
        ],
      },
      SessionsSwept: EXPIRED,
      SessionsSkipped: report.skipped,
      SweepErrors: report.errors,
      SweepDurationMs: report.durationMs,
    });
    expect(warnings).toEqual([]);
    const summaries = lines.filter((line) => line.message === 'sweep finished');
    expect(summaries).toEqual([
      expect.objectContaining({ level: 'INFO', function_request_id: context.awsRequestId, report }),
    ]);
  });

  it.each([
    ['worker 2 of 3', { shards: [2, 5, 8] }, '2'],
    ['worker 0', { shards: [0, 3] }, '0'],
  ])(
    'publishes the heartbeat of %s, with its worker number as the only other dimension',
    async (_name, event, worker) => {
      // Prepare
      await storeSessions();

      // Act
      const { response, lines } = await invoke(event, lambdaContext());

      // Assess
      expect(response.ok).toBe(true);
      const heartbeats = lines.filter((line) => 'SweepHeartbeat' in line);
      expect(heartbeats).toEqual([
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              {
                Namespace: 'session-service',
                Dimensions: [['service', 'worker']],
                Metrics: [{ Name: 'SweepHeartbeat', Unit: 'Count' }],
              },
            ],
          }),
          service: 'session-service',
          worker,
          SweepHeartbeat: 1,
        }),
      ]);
    },
  );

  it.each([
    ['a run by hand over every shard value', {}],
    ['a dry run of a worker', { shards: [1, 4], dryRun: true }],
  ])('publishes no heartbeat for %s', async (_name, event) => {
    await storeSessions();

    const { response, lines } = await invoke(event, lambdaContext());

    expect(response.ok).toBe(true);
    expect(lines.filter((line) => 'SweepHeartbeat' in line)).toEqual([]);
  });
});
