/**
 * What the per-operation metrics cost each invocation: the middleware of lib/handlers/metrics.ts run after a
 * 200 answer (count, build and write one EMF document), in a loop, timed in five batches. Run it with
 * stdout sent away, as Lambda's own log pipe takes it:
 *
 *   node tests/bench/metrics-cost.ts > /dev/null
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { operationMetrics } from '../../lib/handlers/metrics.ts';

const CALLS = 20_000;
const metrics = new Metrics({ namespace: 'session-service', serviceName: 'session-service' });
const after = (operationMetrics(async () => metrics, 'update') as MiddlewareObj).after as (
  request: unknown,
) => Promise<void>;
const request = {
  response: { statusCode: 200, headers: { 'Content-Type': 'application/json', ETag: '"2"' }, body: '{}' },
  context: { awsRequestId: '8c5d0f3e-6a51-4f0e-9a4e-2f1b8d7c6e5a' },
};

async function microsecondsPerCall(calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let call = 0; call < calls; call++) await after(request);
  return Number(process.hrtime.bigint() - started) / calls / 1_000;
}

await microsecondsPerCall(2_000);
const batches: number[] = [];
for (let batch = 0; batch < 5; batch++) batches.push(await microsecondsPerCall(CALLS));
process.stderr.write(
  `metrics middleware, µs per invocation in ${batches.length} batches of ${CALLS.toLocaleString('en-US')}: ${batches
    .map((us) => us.toFixed(1))
    .join(', ')}\n`,
);
