/**
 * The middleware stack of the scheduled sweep: each worker's schedule sends `{"shards": [...]}`, and an
 * operator may invoke it with `{"inactiveDays"?, "dryRun"?, "shards"?}`. Answers `{ok: true, report}` or
 * `{ok: false, error}`.
 * Built from injected pieces (`createSweepHandler`); each piece not given is the runtime's shared one.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Config } from '../config.ts';
import { ValidationError } from '../errors.ts';
import { parseInput, sweepInputSchema } from '../session/schema.ts';
import { clientSettings, type DynamoClientOptions, worstCaseRequestMs } from '../store/dynamodb.ts';
import {
  DEFAULT_REPORT_RESERVE_MS,
  type SweepIndex,
  SweepInterruptedError,
  type SweepReport,
  sweepInactiveSessions,
} from '../sweep/sweep.ts';
import { toErrorBody } from './error-response.ts';
import * as runtime from './runtime.ts';

/**
 * Time kept back from the Lambda deadline: no request starts once less is left. One request that
 * DynamoDB never answers can take `worstCaseRequestMs` of the client's own timeouts and attempts, and the
 * report then needs `DEFAULT_REPORT_RESERVE_MS` to be logged and published.
 */
export function sweepSafetyMarginMs(
  client: Pick<DynamoClientOptions, 'endpoint' | 'requestTimeoutMs' | 'maxAttempts'> = {},
): number {
  const { timeouts, maxAttempts } = clientSettings(client);
  return worstCaseRequestMs(timeouts, maxAttempts) + DEFAULT_REPORT_RESERVE_MS;
}

/**
 * The worker a run belongs to: a scheduled worker's share holds the shard values equal to its number
 * modulo the worker count (lib/deploy/resources.cjs), so its smallest value is its number. A run without
 * a share (by hand, over every shard value) is no worker's.
 */
export function workerOf(shards: readonly number[] | undefined): string | undefined {
  return shards && shards.length > 0 ? String(Math.min(...shards)) : undefined;
}

/** The margin with the client's settings on AWS by default (1 s per attempt, 3 attempts). */
export const SWEEP_SAFETY_MARGIN_MS = sweepSafetyMarginMs();

export interface SweepHandlerDependencies {
  index: SweepIndex;
  config: Pick<Config, 'inactiveDays' | 'sweepConcurrency'> &
    Partial<Pick<Config, 'dynamodbEndpoint' | 'dynamodb'>>;
  logger: Logger;
  metrics: Metrics;
  /** Defaults to `sweepSafetyMarginMs` of the client that `config` describes. */
  safetyMarginMs?: number;
  /** Time kept to log and publish once requests in flight are aborted; defaults to 1 s. */
  reportReserveMs?: number;
}

export type SweepResponse =
  | { ok: true; report: SweepReport }
  | { ok: false; error: ReturnType<typeof toErrorBody>['error'] };

/** The sweep's Lambda handler; each dependency not given is the runtime's shared one. */
export function createSweepHandler(dependencies: Partial<SweepHandlerDependencies> = {}) {
  const { index = runtime.sessionIndex, config = runtime.config, logger = runtime.logger } = dependencies;
  // Every run publishes: the sweep loads its metrics with the function, not on first use.
  const metricsLoaded = dependencies.metrics ? Promise.resolve(dependencies.metrics) : runtime.loadMetrics();
  const safetyMarginMs =
    dependencies.safetyMarginMs ??
    sweepSafetyMarginMs({
      endpoint: config.dynamodbEndpoint,
      requestTimeoutMs: config.dynamodb?.requestTimeoutMs,
      maxAttempts: config.dynamodb?.maxAttempts,
    });

  /**
   * Emits the sweep's figures as one EMF line, and a scheduled worker's heartbeat as another; dry runs
   * and rejected calls emit none.
   */
  function publish(metrics: Metrics, report: SweepReport, shards: readonly number[] | undefined): void {
    metrics.addMetric('SessionsSwept', MetricUnit.Count, report.deleted);
    metrics.addMetric('SessionsSkipped', MetricUnit.Count, report.skipped);
    metrics.addMetric('SweepErrors', MetricUnit.Count, report.errors);
    metrics.addMetric('SweepDurationMs', MetricUnit.Milliseconds, report.durationMs);
    metrics.addMetric('SweepIncomplete', MetricUnit.Count, report.complete ? 0 : 1);
    metrics.publishStoredMetrics();
    const worker = workerOf(shards);
    if (worker !== undefined) {
      const heartbeat = metrics.singleMetric();
      heartbeat.addDimension('worker', worker);
      heartbeat.addMetric('SweepHeartbeat', MetricUnit.Count, 1);
    }
  }

  /**
   * The window of a run. It may be longer than the service's, never shorter: a shorter one would delete
   * sessions that every other operation still serves as live.
   */
  function windowFor(inactiveDays: number | undefined): number {
    if (inactiveDays === undefined) return config.inactiveDays;
    if (inactiveDays < config.inactiveDays) {
      const message = `must be at least the service's inactivity window (${config.inactiveDays} days)`;
      throw new ValidationError(`inactiveDays ${message}`, { details: [{ path: 'inactiveDays', message }] });
    }
    return inactiveDays;
  }

  return middy<unknown, SweepResponse, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event, context) => {
      const metrics = await metricsLoaded;
      let shards: readonly number[] | undefined;
      try {
        const input = parseInput(sweepInputSchema, event ?? {});
        shards = input.shards;
        const report = await sweepInactiveSessions(index, {
          inactiveDays: windowFor(input.inactiveDays),
          dryRun: input.dryRun ?? false,
          shards: input.shards,
          concurrency: config.sweepConcurrency,
          now: new Date(),
          remainingTimeMs: () => context.getRemainingTimeInMillis(),
          safetyMarginMs,
          reportReserveMs: dependencies.reportReserveMs ?? DEFAULT_REPORT_RESERVE_MS,
          onError: (error, session) =>
            logger.warn('sweep delete failed', {
              error: error as Error,
              updatedBucket: session.updatedBucket,
            }),
        });
        if (!report.dryRun) publish(metrics, report, shards);
        logger.info('sweep finished', { report });
        return { ok: true, report };
      } catch (error) {
        const { status, error: body } = toErrorBody(error);
        if (error instanceof SweepInterruptedError) {
          if (!error.report.dryRun) publish(metrics, error.report, shards);
          logger.error('sweep interrupted', { report: error.report, error });
        } else if (status >= 500) logger.error('sweep failed', { error: error as Error });
        else logger.info('sweep rejected', { code: body.code });
        return { ok: false, error: body };
      }
    });
}
