/**
 * Sections 1 and 2: every HTTP operation run through its real Lambda handler in-process, against the
 * same single DynamoDB call sent directly with the DocumentClient, interleaved; then the DynamoDB
 * requests each handler call sent and the capacity its raw equivalent consumed.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { LIMITS, type SessionPatch } from '../../lib/session/schema.ts';
import { activityTimes } from '../../lib/store/clock.ts';
import {
  clearRequest,
  createOrGetRequest,
  deleteRequest,
  getRequest,
  updateRequest,
} from '../../lib/store/session-requests.ts';
import { writeIdentity } from '../../lib/store/write-register.ts';
import { loadFunctions } from '../support/functions.ts';
import { newSessionItem } from '../support/items.ts';
import { countRequests } from '../support/request-counter.ts';
import { itemBytes, putItems, readUnits, writeUnits } from './dynamo.ts';
import { httpEvent, lambdaContext, type Route } from './events.ts';
import { type Interval, median, medianInterval, type Summary, summarize } from './stats.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type Item = Record<string, unknown>;

interface RawOutput {
  item: Item | undefined;
  consumedUnits: number | undefined;
}

export interface OverheadOptions {
  tableName: string;
  /** Measured calls per row and side, after `warmup` unmeasured ones. */
  iterations: number;
  warmup: number;
  /** Raw calls per row that ask for ReturnConsumedCapacity. */
  capacitySamples: number;
}

export interface OverheadRow {
  operation: string;
  handler: Summary;
  raw: Summary;
  /** p50 of the handler over p50 of the raw call, both from the same interleaved run. */
  ratioP50: number;
  /**
   * The figure the budget judges: the median, over iterations, of the handler call's time over the raw
   * call's of the same iteration (run back to back), with a 95% confidence interval.
   */
  pairedRatio: Interval;
}

export interface RequestRow {
  operation: string;
  /** Handler calls observed (the measured ones of section 1). */
  calls: number;
  minRequests: number;
  maxRequests: number;
  /** The operations sent, with how many calls sent each sequence. */
  sequences: Record<string, number>;
  unit: 'RCU' | 'WCU';
  /** Median ConsumedCapacity.CapacityUnits the endpoint returned to the raw equivalent (TOTAL). */
  reportedUnits: number;
  /** What DynamoDB would charge by its published rules: the table, and the byUpdatedAt index. */
  modelledTableUnits: number;
  modelledIndexUnits: number;
}

export interface OverheadResult {
  overhead: OverheadRow[];
  requests: RequestRow[];
}

interface Side {
  /** Current version of each session this side works on, for If-Match. */
  versions: Map<string, number>;
  /** Current entity tag of each session, as the handler side sends it back in If-Match. */
  tags: Map<string, string>;
  users: string[];
}

interface Operation {
  name: string;
  route: Route;
  handler: Handler;
  functionName: string;
  expectedStatus: number;
  /** Sessions each side needs before the run: none, a reused pool, or one per call. */
  needs: 'none' | 'pool' | 'one-per-call';
  /** The user of the i-th call. */
  user(side: Side, prefix: string, i: number): string;
  body?: unknown;
  ifMatch: boolean;
  /**
   * The raw DynamoDB call, built with the repository's own request builder; `extra` adds request
   * fields (ReturnConsumedCapacity). Answers the item it returned and the capacity reported, if asked.
   */
  raw(doc: DynamoDBDocumentClient, side: Side, userId: string, extra?: object): Promise<RawOutput>;
  kind: 'read' | 'write';
}

const POOL = 100;
const PATCH: SessionPatch = {
  step: 'choose-date',
  booking: { service: 'dinner', partySize: 2, date: '2026-12-24' },
  context: { turns: 3 },
};

function sessionItem(userId: string): Item {
  return newSessionItem(
    userId,
    randomUUID(),
    'Website',
    activityTimes(new Date(), 30, { userId }),
  ) as unknown as Item;
}

async function loadHandlers(): Promise<Record<string, Handler>> {
  const { 'create-or-get': createOrGet, ...others } = await loadFunctions();
  return { createOrGet, ...others } as Record<string, Handler>;
}

function operations(handlers: Record<string, Handler>, table: string, inactiveDays: number): Operation[] {
  const h = (name: string) => {
    const handler = handlers[name];
    if (!handler) throw new Error(`no handler ${name}`);
    return handler;
  };
  const poolUser = (side: Side, _prefix: string, i: number) => side.users[i % side.users.length] as string;
  const times = (userId: string) => activityTimes(new Date(), inactiveDays, { userId });
  const attributes = (output: { Attributes?: Item; ConsumedCapacity?: { CapacityUnits?: number } }) => ({
    item: output.Attributes,
    consumedUnits: output.ConsumedCapacity?.CapacityUnits,
  });
  const createOrGet: Operation['raw'] = async (doc, _side, userId, extra) =>
    attributes(
      await doc.send(
        new UpdateCommand({
          ...createOrGetRequest(table, userId, randomUUID(), 'Website', {
            write: undefined,
            times: times(userId),
            precondition: {},
          }),
          ...extra,
        }),
      ),
    );
  return [
    {
      name: 'createOrGet (new)',
      route: 'PUT',
      handler: h('createOrGet'),
      functionName: 'session-service-dev-createOrGet',
      expectedStatus: 201,
      needs: 'none',
      user: (_side, prefix, i) => `${prefix}new-${i}`,
      body: { source: 'Website' },
      ifMatch: false,
      raw: createOrGet,
      kind: 'write',
    },
    {
      name: 'createOrGet (existing)',
      route: 'PUT',
      handler: h('createOrGet'),
      functionName: 'session-service-dev-createOrGet',
      expectedStatus: 200,
      needs: 'pool',
      user: poolUser,
      body: { source: 'Website' },
      ifMatch: false,
      raw: createOrGet,
      kind: 'write',
    },
    {
      name: 'getSession',
      route: 'GET',
      handler: h('get-session'),
      functionName: 'session-service-dev-getSession',
      expectedStatus: 200,
      needs: 'pool',
      user: poolUser,
      ifMatch: false,
      raw: async (doc, _side, userId, extra) => {
        const output = await doc.send(new GetCommand({ ...getRequest(table, userId), ...extra }));
        return { item: output.Item, consumedUnits: output.ConsumedCapacity?.CapacityUnits };
      },
      kind: 'read',
    },
    {
      name: 'update',
      route: 'PATCH',
      handler: h('update'),
      functionName: 'session-service-dev-update',
      expectedStatus: 200,
      needs: 'pool',
      user: poolUser,
      body: PATCH,
      ifMatch: true,
      raw: async (doc, side, userId, extra) =>
        attributes(
          await doc.send(
            new UpdateCommand({
              ...updateRequest(table, userId, PATCH, {
                write: writeIdentity('update', PATCH, undefined),
                times: times(userId),
                precondition: { expectedVersion: side.versions.get(userId) },
                room: { setKeys: Object.keys(PATCH.context ?? {}), maxKeys: LIMITS.contextKeysStored },
              }),
              ...extra,
            }),
          ),
        ),
      kind: 'write',
    },
    {
      name: 'clear',
      route: 'POST /clear',
      handler: h('clear'),
      functionName: 'session-service-dev-clear',
      expectedStatus: 200,
      needs: 'pool',
      user: poolUser,
      ifMatch: true,
      raw: async (doc, side, userId, extra) =>
        attributes(
          await doc.send(
            new UpdateCommand({
              ...clearRequest(table, userId, {
                write: writeIdentity('clear', {}, undefined),
                times: times(userId),
                precondition: { expectedVersion: side.versions.get(userId) },
              }),
              ...extra,
            }),
          ),
        ),
      kind: 'write',
    },
    {
      name: 'delete',
      route: 'DELETE',
      handler: h('delete'),
      functionName: 'session-service-dev-delete',
      expectedStatus: 204,
      needs: 'one-per-call',
      user: (_side, prefix, i) => `${prefix}del-${i}`,
      ifMatch: true,
      raw: async (doc, side, userId, extra) =>
        attributes(
          await doc.send(
            new UpdateCommand({
              ...deleteRequest(table, userId, {
                write: writeIdentity('delete', {}, undefined),
                times: times(userId),
                precondition: { expectedVersion: side.versions.get(userId) },
              }),
              ReturnValues: 'ALL_NEW',
              ...extra,
            }),
          ),
        ),
      kind: 'write',
    },
  ];
}

/** Seeds what a side of `operation` needs for `calls` calls, with prefix-unique user ids. */
async function prepareSide(
  doc: DynamoDBDocumentClient,
  table: string,
  operation: Operation,
  prefix: string,
  calls: number,
): Promise<Side> {
  const side: Side = { versions: new Map(), tags: new Map(), users: [] };
  if (operation.needs === 'none') return side;
  const count = operation.needs === 'pool' ? POOL : calls;
  side.users = Array.from({ length: count }, (_, i) =>
    operation.needs === 'pool' ? `${prefix}pool-${i}` : operation.user(side, prefix, i),
  );
  const items = side.users.map(sessionItem);
  await putItems(doc, table, items);
  for (const item of items) {
    side.versions.set(String(item.userId), 1);
    side.tags.set(String(item.userId), `"${item.sessionId}.1"`);
  }
  return side;
}

function checkResponse(operation: Operation, userId: string, response: APIGatewayProxyStructuredResultV2) {
  if (response.statusCode !== operation.expectedStatus) {
    throw new Error(
      `${operation.name} for ${userId} answered ${response.statusCode}, expected ${operation.expectedStatus}: ${response.body}`,
    );
  }
}

/** Index write units of one item write on the KEYS_ONLY byUpdatedAt index: a moved entry costs two. */
function indexWrites(before: Item | undefined, after: Item | undefined): number {
  const key = (item: Item | undefined) =>
    item?.activityShard !== undefined && item.updatedAt !== undefined
      ? `${item.activityShard}/${item.updatedAt}`
      : undefined;
  const [old, next] = [key(before), key(after)];
  if (old === next) return 0;
  return (old === undefined ? 0 : 1) + (next === undefined ? 0 : 1);
}

export async function measureHandlerOverhead(
  doc: DynamoDBDocumentClient,
  handlers: Record<string, Handler>,
  options: OverheadOptions & { inactiveDays: number },
): Promise<OverheadResult> {
  const counter = countRequests(doc);
  const overhead: OverheadRow[] = [];
  const requests: RequestRow[] = [];
  const total = options.warmup + options.iterations;
  const runId = Date.now().toString(36);

  const rows = [];
  for (const operation of operations(handlers, options.tableName, options.inactiveDays)) {
    const tag = operation.name.replace(/\W+/g, '-');
    const handlerSide = await prepareSide(doc, options.tableName, operation, `h${runId}${tag}`, total);
    const rawSide = await prepareSide(doc, options.tableName, operation, `r${runId}${tag}`, total);
    const handlerMs: number[] = [];
    const rawMs: number[] = [];
    const sequences: Record<string, number> = {};
    let minRequests = Number.POSITIVE_INFINITY;
    let maxRequests = 0;

    const runHandler = async (i: number) => {
      const userId = operation.user(handlerSide, `h${runId}${tag}`, i);
      const event = httpEvent({
        route: operation.route,
        userId,
        body: operation.body,
        ifMatch: operation.ifMatch ? handlerSide.tags.get(userId) : undefined,
      });
      const context = lambdaContext(10_000, operation.functionName);
      const sentBefore = counter.sent.length;
      const started = performance.now();
      const response = (await operation.handler(event, context)) as APIGatewayProxyStructuredResultV2;
      const ms = performance.now() - started;
      checkResponse(operation, userId, response);
      const etag = response.headers?.ETag;
      if (typeof etag === 'string') handlerSide.tags.set(userId, etag);
      if (i < options.warmup) return;
      handlerMs.push(ms);
      const sent = counter.sent.slice(sentBefore);
      minRequests = Math.min(minRequests, sent.length);
      maxRequests = Math.max(maxRequests, sent.length);
      const sequence = sent.join(' + ') || '(none)';
      sequences[sequence] = (sequences[sequence] ?? 0) + 1;
    };
    const runRaw = async (i: number) => {
      const userId = operation.user(rawSide, `r${runId}${tag}`, i);
      const started = performance.now();
      const { item } = await operation.raw(doc, rawSide, userId);
      const ms = performance.now() - started;
      if (typeof item?.version === 'number') rawSide.versions.set(userId, item.version);
      if (i >= options.warmup) rawMs.push(ms);
    };
    // A, B then B, A: neither side always runs right after the other.
    const run = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        if (i % 2 === 0) {
          await runHandler(i);
          await runRaw(i);
        } else {
          await runRaw(i);
          await runHandler(i);
        }
      }
    };
    rows.push({
      operation,
      run,
      handlerMs,
      rawMs,
      sequences,
      requests: () => ({ minRequests, maxRequests }),
    });
  }

  // Warm every operation up before measuring any: they share most of their code (middy, the logger,
  // event parsing, the SDK), which would otherwise be colder for the first row than for the last.
  for (const row of rows) await row.run(0, options.warmup);
  for (const row of rows) {
    await row.run(options.warmup, total);
    const handler = summarize(row.handlerMs);
    const raw = summarize(row.rawMs);
    overhead.push({
      operation: row.operation.name,
      handler,
      raw,
      ratioP50: handler.p50 / raw.p50,
      // Both sides of iteration i are pushed together (warm-up calls by neither), so index i pairs them.
      pairedRatio: medianInterval(row.handlerMs.map((ms, i) => ms / (row.rawMs[i] ?? Number.NaN))),
    });
    requests.push({
      operation: row.operation.name,
      calls: row.handlerMs.length,
      ...row.requests(),
      sequences: row.sequences,
      ...(await sampleCapacity(
        doc,
        options,
        row.operation,
        `c${runId}${row.operation.name.replace(/\W+/g, '-')}`,
      )),
    });
  }
  return { overhead, requests };
}

/** Raw calls with ReturnConsumedCapacity TOTAL, next to what DynamoDB's rules say they cost. */
async function sampleCapacity(
  doc: DynamoDBDocumentClient,
  options: OverheadOptions,
  operation: Operation,
  prefix: string,
): Promise<Pick<RequestRow, 'unit' | 'reportedUnits' | 'modelledTableUnits' | 'modelledIndexUnits'>> {
  const side = await prepareSide(doc, options.tableName, operation, prefix, options.capacitySamples);
  const reported: number[] = [];
  const table: number[] = [];
  const index: number[] = [];
  for (let i = 0; i < options.capacitySamples; i++) {
    const userId = operation.user(side, prefix, i);
    // The item as it was, to apply DynamoDB's rules to the larger of the old and new item.
    const { Item: before } = await doc.send(new GetCommand(getRequest(options.tableName, userId)));
    const { item: after, consumedUnits } = await operation.raw(doc, side, userId, {
      ReturnConsumedCapacity: 'TOTAL',
    });
    if (typeof after?.version === 'number') side.versions.set(userId, after.version);
    reported.push(consumedUnits ?? Number.NaN);
    if (operation.kind === 'read') {
      table.push(readUnits(itemBytes(after ?? {}), true));
      index.push(0);
    } else {
      // A delete leaves a tombstone: the raw call asks for it back (ALL_NEW) so the model sees it.
      const stored = after;
      table.push(writeUnits(Math.max(before ? itemBytes(before) : 0, stored ? itemBytes(stored) : 0)));
      index.push(indexWrites(before, stored));
    }
  }
  return {
    unit: operation.kind === 'read' ? 'RCU' : 'WCU',
    reportedUnits: median(reported),
    modelledTableUnits: median(table),
    modelledIndexUnits: median(index),
  };
}

/**
 * Points the runtime at the embedded DynamoDB, then imports it and the handlers: lib/handlers/runtime.ts reads
 * the environment once, at import.
 */
export async function loadRuntime(endpoint: string, tableName: string) {
  process.env.TABLE_NAME = tableName;
  process.env.DYNAMODB_ENDPOINT = endpoint;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_DEV = 'false';
  process.env.AWS_REGION ??= 'us-east-1';
  const runtime = await import('../../lib/handlers/runtime.ts');
  const handlers = await loadHandlers();
  return { runtime, handlers };
}
