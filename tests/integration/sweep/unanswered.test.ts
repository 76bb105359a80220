/**
 * The sweep function when DynamoDB stops answering mid-sweep: it still answers with its report, and
 * publishes it as EMF on stdout, before the Lambda deadline. The client is the production one with
 * short timeouts; the unanswered requests go to a black-hole TCP server, so the SDK's own timeouts,
 * retries and abort handling run for real.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../lib/handlers/sweep-handler.ts';
import { worstCaseRequestMs } from '../../../lib/store/dynamodb.ts';
import { startBlackHole } from '../../support/black-hole.ts';
import { endpoint, indexFor, isolatedTable, testDocumentClient } from '../../support/dynamo.ts';
import { captureOutput } from '../../support/output-capture.ts';
import { DAY_MS, lambdaContext, seedSessions, stopAnswering, type TestTable } from '../../support/sweep.ts';

const REPORT_RESERVE_MS = 500;

/** The production client's settings (lib/store/dynamodb.ts), with other timeouts and attempts. */
function clientWith(timeouts: { connectionTimeout: number; requestTimeout: number }, maxAttempts: number) {
  const client = new DynamoDBClient({
    endpoint: endpoint(),
    region: 'us-east-1',
    maxAttempts,
    requestHandler: { ...timeouts, throwOnRequestTimeout: true },
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

interface Variant {
  name: string;
  timeouts: { connectionTimeout: number; requestTimeout: number };
  attempts: number;
  /** The safety margin, and the Lambda timeout beyond it. */
  safetyMarginMs: number;
  timeoutMs: number;
  stopAfter: { operation: string; count: number };
  /** Expired sessions stored. */
  expired: number;
  ok: boolean;
}

const SHORT = { connectionTimeout: 200, requestTimeout: 400 };
// Longer than the whole invocation: only the abort signal can end these requests in time.
const ENDLESS = { connectionTimeout: 60_000, requestTimeout: 60_000 };
const derivedMargin = worstCaseRequestMs(SHORT, 2) + REPORT_RESERVE_MS;

const VARIANTS: Variant[] = [
  {
    name: 'deletes stop being answered; the derived margin covers them',
    timeouts: SHORT,
    attempts: 2,
    safetyMarginMs: derivedMargin,
    timeoutMs: derivedMargin + 2_000,
    stopAfter: { operation: 'DeleteItem', count: 40 },
    expired: 200,
    ok: true,
  },
  {
    name: 'index reads stop being answered and fail; the partial report is published',
    timeouts: SHORT,
    attempts: 2,
    safetyMarginMs: derivedMargin,
    // Time enough for the reads to fail by themselves before the sweep would stop them.
    timeoutMs: derivedMargin + 6_000,
    stopAfter: { operation: 'Query', count: 6 },
    // Few enough that the deletes of the pages read never hold the sweep back from the next page.
    expired: 20,
    ok: false,
  },
  {
    name: 'deletes never end by themselves; the deadline aborts them',
    timeouts: ENDLESS,
    attempts: 3,
    safetyMarginMs: 1_500,
    timeoutMs: 3_000,
    stopAfter: { operation: 'DeleteItem', count: 40 },
    expired: 200,
    ok: true,
  },
  {
    name: 'index reads never end by themselves; the deadline aborts them',
    timeouts: ENDLESS,
    attempts: 3,
    safetyMarginMs: 1_500,
    timeoutMs: 3_000,
    stopAfter: { operation: 'Query', count: 6 },
    expired: 200,
    ok: true,
  },
];

describe('sweep function', () => {
  describe('when DynamoDB stops answering mid-sweep', () => {
    let table: TestTable;
    beforeEach(async () => {
      table = await isolatedTable();
    });
    async function storeExpired(count: number) {
      const seeder = testDocumentClient();
      const now = Date.now();
      await seedSessions(
        seeder,
        table.tableName,
        Array.from({ length: count }, (_, index) => ({
          userId: `expired-${index}`,
          updatedAt: new Date(now - 31 * DAY_MS - index * 60_000),
        })),
      );
      seeder.destroy();
    }
    afterEach(async () => {
      await table.drop();
    });

    it.each(VARIANTS)(
      'answers and publishes its report before the Lambda timeout: $name',
      async (variant) => {
        // Prepare
        await storeExpired(variant.expired);
        const blackHole = await startBlackHole();
        const doc = clientWith(variant.timeouts, variant.attempts);
        const dynamo = stopAnswering(doc, blackHole.port, variant.stopAfter);
        const handler = createSweepHandler({
          index: indexFor(doc, { tableName: table.tableName }),
          config: { inactiveDays: 30, sweepConcurrency: 8 },
          logger: new Logger({ serviceName: 'session-service', logLevel: 'INFO' }),
          metrics: new Metrics({ namespace: 'session-service', serviceName: 'session-service' }),
          safetyMarginMs: variant.safetyMarginMs,
          reportReserveMs: REPORT_RESERVE_MS,
        });
        const deadline = Date.now() + variant.timeoutMs;
        const output = captureOutput();

        // Act
        let response: Awaited<ReturnType<typeof handler>>;
        let answeredAt: number;
        try {
          response = await handler(
            {},
            lambdaContext(() => deadline - Date.now()),
          );
          answeredAt = Date.now();
        } finally {
          output.restore();
          doc.destroy();
          await blackHole.close();
        }

        // Assess: DynamoDB did stop answering, and the answer came before the deadline.
        expect(dynamo.stoppedAt).toBeDefined();
        expect(blackHole.connections()).toBeGreaterThan(0);
        expect(answeredAt).toBeLessThan(deadline);
        // EMF and logs on stdout, the logger's ERROR lines on stderr; each with the time it was written.
        const written = output.lines.map(({ text, at }) => ({
          at,
          line: JSON.parse(text) as Record<string, unknown>,
        }));
        const logged = written.find(
          ({ line }) => line.message === 'sweep finished' || line.message === 'sweep interrupted',
        );
        const report = logged?.line.report as Record<string, number> | undefined;
        if (variant.ok) {
          expect(response).toEqual({ ok: true, report });
          expect(logged?.line.message).toBe('sweep finished');
        } else {
          expect(response).toEqual({ ok: false, error: expect.objectContaining({ code: 'UNAVAILABLE' }) });
          expect(logged?.line.message).toBe('sweep interrupted');
        }
        expect(report).toMatchObject({ complete: false });
        expect(report?.examined).toBeLessThan(variant.expired);
        // A delete whose answer was lost and whose retry found it gone counts as skipped.
        expect((report?.deleted ?? 0) + (report?.skipped ?? 0) + (report?.errors ?? 0)).toBe(
          report?.examined,
        );
        // The metrics went out as one EMF line on stdout, before the deadline, with the report's figures.
        const emf = written.filter(({ line }) => '_aws' in line);
        expect(emf).toHaveLength(1);
        expect(emf[0]?.at).toBeLessThan(deadline);
        expect(emf[0]?.line).toMatchObject({
          SessionsSwept: report?.deleted,
          SweepErrors: report?.errors,
          SweepDurationMs: report?.durationMs,
        });
      },
    );
  });
});
