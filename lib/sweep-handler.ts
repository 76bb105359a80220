/**
 * The middleware stack of the scheduled sweep: each worker's schedule sends `{"shards": [...]}`, and an
 * operator may invoke it with `{"inactiveDays"?, "dryRun"?, "shards"?}`. Answers `{ok: true, report}` or `{ok: false, error}`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { toErrorBody } from './error-response.ts';
import { ValidationError } from './errors.ts';
import { config, logger, repository } from './runtime.ts';
import { parseInput, sweepInputSchema } from './schema.ts';
import { partialReportOf, type SweepReport, sweepInactiveSessions } from './sweep.ts';

export const metrics = new Metrics({
  namespace: config.metricsNamespace,
});

function concurrencyFrom(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 16;
  const concurrency = Number(raw);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`SWEEP_CONCURRENCY must be a whole number of at least 1, got "${raw}"`);
  }
  return concurrency;
}

const concurrency = concurrencyFrom(process.env.SWEEP_CONCURRENCY);

/** Time kept back from the Lambda deadline to finish in-flight deletes and report. */
export const SWEEP_SAFETY_MARGIN_MS = 10_000;

/** Emits the sweep's figures as one EMF line; dry runs and rejected calls emit none. */
function publish(report: SweepReport): void {
  metrics.addMetric('SessionsSwept', MetricUnit.Count, report.deleted);
  metrics.addMetric('SessionsSkipped', MetricUnit.Count, report.skipped);
  metrics.addMetric('SweepErrors', MetricUnit.Count, report.errors);
  metrics.addMetric('SweepDurationMs', MetricUnit.Milliseconds, report.durationMs);
  metrics.addMetric('SweepIncomplete', MetricUnit.Count, report.complete ? 0 : 1);
  metrics.publishStoredMetrics();
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

export type SweepResponse =
  | { ok: true; report: SweepReport }
  | { ok: false; error: ReturnType<typeof toErrorBody>['error'] };

export const sweepHandler = middy<unknown, SweepResponse, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event, context) => {
    try {
      const input = parseInput(sweepInputSchema, event ?? {});
      const report = await sweepInactiveSessions(repository, {
        inactiveDays: windowFor(input.inactiveDays),
        dryRun: input.dryRun ?? false,
        shards: input.shards,
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
      const partial = partialReportOf(error);
      if (partial) {
        if (!partial.dryRun) publish(partial);
        logger.error('sweep interrupted', { report: partial, error: error as Error });
      } else if (status >= 500) logger.error('sweep failed', { error: error as Error });
      else logger.info('sweep rejected', { code: body.code });
      return { ok: false, error: body };
    }
  });
