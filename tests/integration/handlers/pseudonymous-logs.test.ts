/**
 * Pseudonymous logs: every operation, over HTTP and by invocation, its error paths (401, 403, 400, 404,
 * 412, 413, 415, 422, 503, 500) and the sweep, driven with one distinctive phone-number user id. The id
 * (raw, URL-encoded or as bare digits) appears nowhere in what the handlers write, and every line a
 * request logs carries the id's keyed hash, the value `npm run privacy -- log-id` prints.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_LOG_ID_KEY, LOG_ID_CHARS, logIdOf } from '../../../lib/log-id.ts';
import { LIMITS } from '../../../lib/session/schema.ts';
import { indexFor, isolatedTable, testDocumentClient } from '../../support/dynamo.ts';
import { loadFunctions } from '../../support/functions.ts';
import {
  type FunctionName,
  type HttpRequestOptions,
  httpEvent,
  type LambdaHandler,
  lambdaContext,
  type Method,
  readHttp,
} from '../../support/lambda-events.ts';
import { type CapturedOutput, captureOutput } from '../../support/output-capture.ts';
import { DAY_MS, seedSessions } from '../../support/sweep.ts';
import { dynamoError, interceptWire, THROTTLED } from '../../support/wire.ts';

process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

/** A phone number no other test uses, in the chatbot's id form. */
const DIGITS = `4477009${String(process.pid).padStart(5, '0').slice(-5)}`;
const USER_ID = `wa:+${DIGITS}`;
const LOG_ID = logIdOf(USER_ID, DEVELOPMENT_LOG_ID_KEY);
const FORMS_OF_THE_ID = [USER_ID, encodeURIComponent(USER_ID), `+${DIGITS}`, DIGITS];

const doc = testDocumentClient();
/** The sweep's timeout in serverless.yml: what its context reports as the time left. */
const SWEEP_TIMEOUT_MS = 900_000;
let fns: Record<FunctionName, LambdaHandler>;
// Loaded after the log level is set: the runtime builds its logger on load.
let runtime: typeof import('../../../lib/handlers/runtime.ts');
let sweepHandlers: typeof import('../../../lib/handlers/sweep-handler.ts');
let output: CapturedOutput;
/** The awsRequestId of every request sent, and what it was. */
const requests = new Map<string, string>();

function context(name: string, remainingMs?: number): Context {
  const lambda = lambdaContext(remainingMs);
  requests.set(lambda.awsRequestId, name);
  return lambda;
}

async function http(fn: FunctionName, method: Method, name: string, options: HttpRequestOptions = {}) {
  return readHttp(await fns[fn](httpEvent(method, USER_ID, options), context(name))).status;
}

async function invoke(fn: FunctionName, payload: Record<string, unknown>, name: string) {
  return (await fns[fn]({ userId: USER_ID, ...payload }, context(name))) as {
    ok: boolean;
    error?: { code: string };
  };
}

beforeAll(async () => {
  fns = await loadFunctions();
  runtime = await import('../../../lib/handlers/runtime.ts');
  sweepHandlers = await import('../../../lib/handlers/sweep-handler.ts');
  output = captureOutput();
});
afterAll(() => {
  output.restore();
  doc.destroy();
});

describe('pseudonymous logs', () => {
  it('drive every operation and every error path with a phone-number id', async () => {
    const key = { 'idempotency-key': 'reused-key' };
    const statuses = [
      await http('create-or-get', 'PUT', 'PUT 201'),
      await http('get-session', 'GET', 'GET 200'),
      await http('update', 'PATCH', 'PATCH 200', {
        json: { booking: { phone: `+${DIGITS}`, name: 'Ada Lovelace' } },
        headers: key,
      }),
      await http('clear', 'POST', 'POST /clear 200'),
      await http('update', 'PATCH', 'PATCH 422', { json: { step: 'other' }, headers: key }),
      await http('update', 'PATCH', 'PATCH 412', { json: { step: 'x' }, headers: { 'if-match': '"1"' } }),
      await http('update', 'PATCH', 'PATCH 400', { json: { booking: { email: `not an email ${DIGITS}` } } }),
      await http('update', 'PATCH', 'PATCH 413', {
        body: JSON.stringify({ step: 'x'.repeat(LIMITS.bodyBytes) }),
      }),
      await http('update', 'PATCH', 'PATCH 415', { body: 'step=x', contentType: 'text/plain' }),
      await http('get-session', 'GET', 'GET 401', { sub: null }),
      await http('get-session', 'GET', 'GET 403', { sub: 'wa:+440000000000' }),
      await http('delete', 'DELETE', 'DELETE 204'),
      await http('get-session', 'GET', 'GET 404'),
      await http('erase', 'POST', 'POST /erase 204', { suffix: '/erase' }),
    ];
    expect(statuses).toEqual([201, 200, 200, 200, 422, 412, 400, 413, 415, 401, 403, 204, 404, 204]);

    const invoked = [
      await invoke('create-or-get', {}, 'invoke createOrGet'),
      await invoke('get-session', {}, 'invoke getSession'),
      await invoke('update', { context: { phone: `+${DIGITS}` } }, 'invoke update'),
      await invoke('update', { booking: { partySize: 99 } }, 'invoke update invalid'),
      await invoke('clear', { expectedVersion: 99 }, 'invoke clear conflict'),
      await invoke('export-user', {}, 'invoke exportUser'),
      await invoke('delete', {}, 'invoke delete'),
      await invoke('erase', {}, 'invoke erase'),
      await invoke('delete', {}, 'invoke delete not found'),
    ];
    expect(invoked.map((answer) => answer.error?.code ?? 'ok')).toEqual([
      'ok',
      'ok',
      'ok',
      'VALIDATION_FAILED',
      'VERSION_CONFLICT',
      'ok',
      'ok',
      'ok',
      'NOT_FOUND',
    ]);

    // DynamoDB throttling every attempt (503), then refusing a request outright (500, logged with the error).
    for (const [fault, name, code] of [
      [THROTTLED, 'invoke createOrGet throttled', 'UNAVAILABLE'],
      [
        () => dynamoError(400, 'ValidationException', 'The provided key element does not match'),
        'invoke 500',
        'INTERNAL',
      ],
    ] as const) {
      const wire = interceptWire(runtime.documentClient, async () => fault());
      try {
        expect((await invoke('create-or-get', {}, name)).error?.code).toBe(code);
      } finally {
        wire.restore();
      }
    }
  });

  it("and the sweep, deleting the id's expired session and failing to once", async () => {
    const table = await isolatedTable();
    try {
      await seedSessions(doc, table.tableName, [
        { userId: USER_ID, updatedAt: new Date(Date.now() - 31 * DAY_MS) },
      ]);
      const sweep = sweepHandlers.createSweepHandler({
        index: indexFor(doc, { tableName: table.tableName }),
        config: { inactiveDays: 30, sweepConcurrency: 2 },
        logger: new Logger({ serviceName: 'session-service', logLevel: 'DEBUG' }),
      });
      const wire = interceptWire(doc, async (attempt) =>
        attempt.operation === 'DeleteItem'
          ? dynamoError(400, 'ValidationException', 'refused')
          : attempt.forward(),
      );
      try {
        expect(await sweep({}, context('sweep failing', SWEEP_TIMEOUT_MS))).toMatchObject({
          ok: true,
          report: { errors: 1 },
        });
      } finally {
        wire.restore();
      }
      expect(await sweep({}, context('sweep', SWEEP_TIMEOUT_MS))).toMatchObject({
        ok: true,
        report: { deleted: 1 },
      });
    } finally {
      await table.drop();
    }
  });

  it('never show the id, raw, URL-encoded or as digits, in any line', () => {
    const all = output.lines.map((line) => line.text).join('\n');
    expect(output.lines.length).toBeGreaterThan(requests.size);
    for (const form of FORMS_OF_THE_ID) expect(all).not.toContain(form);
  });

  it("carry the id's keyed hash on every line of every request", () => {
    const logLines = output.allJson().filter((entry) => typeof entry._aws !== 'object');
    const sessionRequests = [...requests].filter(([, name]) => !name.startsWith('sweep'));
    for (const [requestId, name] of sessionRequests) {
      const lines = logLines.filter((entry) => entry.function_request_id === requestId);
      expect(lines.length, name).toBeGreaterThan(0);
      for (const line of lines) expect(line, name).toMatchObject({ logId: LOG_ID });
    }
    expect(LOG_ID).toMatch(new RegExp(`^[0-9a-f]{${LOG_ID_CHARS}}$`));
  });

  it("leave the sweep's lines, which cover many users, with neither ids nor hashes", () => {
    const sweepIds = [...requests].filter(([, name]) => name.startsWith('sweep')).map(([id]) => id);
    const lines = output.allJson().filter((entry) => sweepIds.includes(String(entry.function_request_id)));
    expect(lines.map((line) => line.message)).toEqual(
      expect.arrayContaining(['sweep delete failed', 'sweep finished']),
    );
    for (const line of lines) expect(line.logId).toBeUndefined();
  });
});
