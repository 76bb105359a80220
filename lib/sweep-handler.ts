/**
 * The middleware stack of the scheduled sweep: EventBridge Scheduler sends `{}`, and an operator may
 * invoke it with `{"inactiveDays"?, "dryRun"?}`. Answers `{ok: true, report}` or `{ok: false, error}`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { requiredEnv } from './config.ts';
import { toErrorBody } from './error-response.ts';
import { config, logger, repository } from './runtime.ts';
import { parseInput, sweepInputSchema } from './schema.ts';
import { type SweepReport, sweepInactiveSessions } from './sweep.ts';

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'session-service',
});

const concurrency = Number(process.env.SWEEP_CONCURRENCY ?? 16);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  throw new Error(
    `SWEEP_CONCURRENCY must be a whole number of at least 1, got "${requiredEnv('SWEEP_CONCURRENCY')}"`,
  );
}

/** Time kept back from the Lambda deadline to finish in-flight deletes and report. */
export const SWEEP_SAFETY_MARGIN_MS = 10_000;

function publish(report: SweepReport): void {
  metrics.addMetric('SessionsSwept', MetricUnit.Count, report.deleted);
  metrics.addMetric('SessionsSkipped', MetricUnit.Count, report.skipped);
  metrics.addMetric('SweepErrors', MetricUnit.Count, report.errors);
  metrics.addMetric('SweepDurationMs', MetricUnit.Milliseconds, report.durationMs);
}

export type SweepResponse =
  | { ok: true; report: SweepReport }
  | { ok: false; error: ReturnType<typeof toErrorBody>['error'] };

export const sweepHandler = middy<unknown, SweepResponse, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event, context) => {
    try {
      const input = parseInput(sweepInputSchema, event ?? {});
      const report = await sweepInactiveSessions(repository, {
        inactiveDays: input.inactiveDays ?? config.inactiveDays,
        dryRun: input.dryRun ?? false,
        concurrency,
        now: new Date(),
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        safetyMarginMs: SWEEP_SAFETY_MARGIN_MS,
        onError: (error, session) =>
          logger.warn('sweep delete failed', { error: error as Error, updatedAt: session.updatedAt }),
      });
      if (!report.dryRun) publish(report);
      logger.info('sweep finished', { report });
      return { ok: true, report };
    } catch (error) {
      const { status, error: body } = toErrorBody(error);
      if (status >= 500) logger.error('sweep failed', { error: error as Error });
      return { ok: false, error: body };
    }
  });
