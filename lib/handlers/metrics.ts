/**
 * Per-operation metrics of the session functions, in CloudWatch's embedded metric format (EMF): one
 * document per invocation, counted from the response the caller gets, with the dimension `operation`
 * (beside Powertools' constant `service`) and nothing that names a user.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { ErrorCode } from '../errors.ts';
import names from './metric-names.json' with { type: 'json' };

/** Every metric the service publishes itself, by its emitter; the alarms and dashboard use this list. */
export const METRIC_NAMES = names;

export type OperationMetric =
  | 'SessionsCreated'
  | 'VersionConflicts'
  | 'NotFound'
  | 'ValidationFailures'
  | 'IdempotentReplays'
  | 'ServerErrors';

/** The metric an error code counts towards; codes not listed count towards none. */
const METRIC_OF_CODE: Partial<Record<ErrorCode, OperationMetric>> = {
  VERSION_CONFLICT: 'VersionConflicts',
  NOT_FOUND: 'NotFound',
  VALIDATION_FAILED: 'ValidationFailures',
  UNAVAILABLE: 'ServerErrors',
  INTERNAL: 'ServerErrors',
};

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null;

function httpErrorCode(body: unknown): string | undefined {
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const code = isObject(parsed) && isObject(parsed.error) ? parsed.error.code : undefined;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function headerIs(headers: unknown, name: string, value: string): boolean {
  if (!isObject(headers)) return false;
  return Object.entries(headers).some(
    ([key, candidate]) => key.toLowerCase() === name && String(candidate).toLowerCase() === value,
  );
}

/**
 * What one response says happened, as a count (0 or 1) of every operation metric. Reads only the
 * shapes callers see: an HTTP result (status, `Idempotent-Replayed` header, error body) or a
 * direct-invocation envelope (`created`, `replayed`, `ok: false` with an error code). A replayed
 * answer counts as a replay only: what it reports was counted when it first happened.
 */
export function countsOf(response: unknown): Record<OperationMetric, number> {
  const counts: Record<OperationMetric, number> = {
    SessionsCreated: 0,
    VersionConflicts: 0,
    NotFound: 0,
    ValidationFailures: 0,
    IdempotentReplays: 0,
    ServerErrors: 0,
  };
  if (!isObject(response)) return counts;
  const http = typeof response.statusCode === 'number';
  const status = http ? (response.statusCode as number) : undefined;
  if (http ? headerIs(response.headers, 'idempotent-replayed', 'true') : response.replayed === true) {
    counts.IdempotentReplays = 1;
    return counts;
  }
  if (http ? status === 201 : response.created === true) counts.SessionsCreated = 1;
  let code: string | undefined;
  if (status !== undefined) {
    code = status >= 400 ? httpErrorCode(response.body) : undefined;
    if (code === undefined && status >= 500) counts.ServerErrors = 1;
  } else if (response.ok === false && isObject(response.error)) {
    code = String(response.error.code);
  }
  const metric = code === undefined ? undefined : METRIC_OF_CODE[code as ErrorCode];
  if (metric) counts[metric] = 1;
  return counts;
}

/**
 * Publishes at most one EMF document per invocation, after the response is final (on success and after
 * the error responder has answered), with every operation metric at 0 or 1, so sums are counts. An
 * invocation that counts nothing (a plain read or write that succeeded) publishes none: Lambda's own
 * Invocations metric counts those, and at 25,000 invocations a second a 620-byte document for each would
 * be about 40 TB of log ingestion a month. Use it outside the error responder, so that its onError runs
 * after it. The metrics are loaded only when there is something to publish.
 */
export function operationMetrics(loadMetrics: () => Promise<Metrics>, operation: string): MiddlewareObj {
  const publish = async (request: { response: unknown; context: { awsRequestId?: string } }) => {
    const counts = Object.entries(countsOf(request.response));
    if (counts.every(([, value]) => value === 0)) return;
    const metrics = await loadMetrics();
    metrics.addDimension('operation', operation);
    if (request.context.awsRequestId)
      metrics.addMetadata('function_request_id', request.context.awsRequestId);
    // MetricUnit.Count's value: importing MetricUnit would load the metrics module at cold start.
    for (const [name, value] of counts) metrics.addMetric(name, 'Count', value);
    metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
