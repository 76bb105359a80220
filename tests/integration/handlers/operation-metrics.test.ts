/**
 * The session functions' metrics: at most one EMF document per invocation (none when it counts nothing), counted from the response, with the
 * dimensions `service` and `operation` only; and the pure reading of a response into counts.
 */
import { describe, expect, it } from 'vitest';
import { countsOf, METRIC_NAMES, type OperationMetric } from '../../../lib/handlers/metrics.ts';
import { uniqueUserId } from '../../support/dynamo.ts';
import { loadFunctions } from '../../support/functions.ts';
import { httpEvent, type LambdaHandler, lambdaContext } from '../../support/lambda-events.ts';
import { captureOutputOf } from '../../support/output-capture.ts';

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const isEmf = (entry: Record<string, unknown>) => typeof entry._aws === 'object';

/** Calls `handler` once and returns its answer with the EMF documents it wrote to stdout. */
async function invoke(handler: LambdaHandler, event: unknown, context = lambdaContext()) {
  const { result: response, output } = await captureOutputOf(() => handler(event, context));
  const documents = output.json().filter(isEmf);
  return { response, documents: documents as unknown as EmfDocument[] };
}

/** The one EMF document of an invocation, checked for its namespace, dimensions and metric list. */
function onlyDocument(documents: EmfDocument[], operation: string): EmfDocument {
  expect(documents).toHaveLength(1);
  const [document] = documents as [EmfDocument];
  const [directive] = document._aws.CloudWatchMetrics;
  expect(document._aws.CloudWatchMetrics).toHaveLength(1);
  expect(directive?.Namespace).toBe(process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'session-service');
  expect(directive?.Dimensions).toEqual([['service', 'operation']]);
  expect(directive?.Metrics.map((metric) => metric.Name).sort()).toEqual([...METRIC_NAMES.operation].sort());
  expect(document.operation).toBe(operation);
  return document;
}

const nonZero = (document: EmfDocument) =>
  METRIC_NAMES.operation.filter((name) => (document[name] as number) !== 0);

describe('operation metrics of the session functions', () => {
  it('emits one document with SessionsCreated for a 201, none for a plain 200, and one with NotFound for a 404', async () => {
    const { 'create-or-get': createOrGet, 'get-session': get } = await loadFunctions();
    const created = uniqueUserId();
    const missing = uniqueUserId();

    const first = await invoke(createOrGet, httpEvent('PUT', created));
    const second = await invoke(createOrGet, httpEvent('PUT', created));
    const notFound = await invoke(get, httpEvent('GET', missing));

    expect((first.response as { statusCode: number }).statusCode).toBe(201);
    expect(nonZero(onlyDocument(first.documents, 'createOrGet'))).toEqual(['SessionsCreated']);
    expect((second.response as { statusCode: number }).statusCode).toBe(200);
    expect(second.documents).toEqual([]);
    expect((notFound.response as { statusCode: number }).statusCode).toBe(404);
    expect(nonZero(onlyDocument(notFound.documents, 'getSession'))).toEqual(['NotFound']);
  });

  it('counts direct invocations from their envelope: created, conflict, validation failure', async () => {
    const { 'create-or-get': createOrGet, update } = await loadFunctions();
    const userId = uniqueUserId();

    const created = await invoke(createOrGet, { userId });
    const conflict = await invoke(update, { userId, step: 'pick_time', expectedVersion: 7 });
    const invalid = await invoke(update, { userId, booking: { partySize: 99 } });

    expect(created.response).toMatchObject({ ok: true, created: true });
    expect(nonZero(onlyDocument(created.documents, 'createOrGet'))).toEqual(['SessionsCreated']);
    expect(conflict.response).toMatchObject({ ok: false, error: { code: 'VERSION_CONFLICT' } });
    expect(nonZero(onlyDocument(conflict.documents, 'update'))).toEqual(['VersionConflicts']);
    expect(invalid.response).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(nonZero(onlyDocument(invalid.documents, 'update'))).toEqual(['ValidationFailures']);
  });

  it.each([
    ['createOrGet', 'create-or-get'],
    ['getSession', 'get-session'],
    ['update', 'update'],
    ['clear', 'clear'],
    ['delete', 'delete'],
  ] as const)('names the operation of %s as serverless.yml names the function', async (operation, file) => {
    const handler = (await loadFunctions())[file];

    const { documents } = await invoke(handler, { userId: uniqueUserId() });

    onlyDocument(documents, operation);
  });
});

describe('sweep metrics', () => {
  it('emits one document per run with every sweep metric of the list, SweepIncomplete among them', async () => {
    const sweep = (await import('../../../functions/sweep.ts')).handler as LambdaHandler;

    // The longest window: nothing on the shared table is that old, so the run deletes nothing.
    // With the sweep's own time (900 s): it keeps back a margin longer than a session function's timeout.
    const { response, documents } = await invoke(sweep, { inactiveDays: 3650 }, lambdaContext(900_000));

    expect(response).toMatchObject({ ok: true, report: { complete: true, dryRun: false } });
    expect(documents).toHaveLength(1);
    const [document] = documents as [EmfDocument];
    const [directive] = document._aws.CloudWatchMetrics;
    expect(directive?.Dimensions).toEqual([['service']]);
    expect(directive?.Metrics.map((metric) => metric.Name).sort()).toEqual([...METRIC_NAMES.sweep].sort());
    expect(document.SweepIncomplete).toBe(0);
  });
});

describe('countsOf', () => {
  const only = (metric?: OperationMetric) =>
    Object.fromEntries(METRIC_NAMES.operation.map((name) => [name, name === metric ? 1 : 0]));
  const errorBody = (code: string) => JSON.stringify({ error: { code, message: 'm', details: [] } });

  it.each([
    ['HTTP 200', { statusCode: 200, body: '{}' }, undefined],
    ['HTTP 201', { statusCode: 201, body: '{}' }, 'SessionsCreated'],
    [
      'HTTP 200 replayed',
      { statusCode: 200, headers: { 'Idempotent-Replayed': 'true' } },
      'IdempotentReplays',
    ],
    ['HTTP 412', { statusCode: 412, body: errorBody('VERSION_CONFLICT') }, 'VersionConflicts'],
    ['HTTP 404', { statusCode: 404, body: errorBody('NOT_FOUND') }, 'NotFound'],
    ['HTTP 400', { statusCode: 400, body: errorBody('VALIDATION_FAILED') }, 'ValidationFailures'],
    ['HTTP 403', { statusCode: 403, body: errorBody('FORBIDDEN') }, undefined],
    ['HTTP 503', { statusCode: 503, body: errorBody('UNAVAILABLE') }, 'ServerErrors'],
    ['HTTP 500 without a body', { statusCode: 500 }, 'ServerErrors'],
    ['invoke ok', { ok: true, session: {} }, undefined],
    ['invoke created', { ok: true, session: {}, created: true }, 'SessionsCreated'],
    ['invoke replayed', { ok: true, session: {}, replayed: true }, 'IdempotentReplays'],
    [
      'HTTP 201 replayed',
      { statusCode: 201, headers: { 'idempotent-replayed': 'true' } },
      'IdempotentReplays',
    ],
    [
      'invoke created, replayed',
      { ok: true, session: {}, created: true, replayed: true },
      'IdempotentReplays',
    ],
    [
      'HTTP 200 with Idempotent-Replayed: false',
      { statusCode: 200, headers: { 'Idempotent-Replayed': 'false' } },
      undefined,
    ],
    ['invoke conflict', { ok: false, error: { code: 'VERSION_CONFLICT' } }, 'VersionConflicts'],
    ['invoke not found', { ok: false, error: { code: 'NOT_FOUND' } }, 'NotFound'],
    ['invoke internal', { ok: false, error: { code: 'INTERNAL' } }, 'ServerErrors'],
    ['no response', undefined, undefined],
  ])('reads %s', (_name, response, metric) => {
    expect(countsOf(response)).toEqual(only(metric as OperationMetric | undefined));
  });
});
