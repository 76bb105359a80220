import { Metrics } from '@aws-lambda-powertools/metrics';
import { config, logger, repository } from '../lib/runtime.ts';
import { createSweepHandler } from '../lib/sweep-handler.ts';

/** Scheduled daily (and invokable on demand): removes sessions inactive longer than the window. */
export const handler = createSweepHandler({
  repository,
  config,
  logger,
  metrics: new Metrics({ namespace: config.metricsNamespace }),
});
