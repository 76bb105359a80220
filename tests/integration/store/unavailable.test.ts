/**
 * DynamoDB failing under the functions: throttled, unreachable, black-holed, gone mid-test and back.
 * This file runs its own dynalite (data on disk, so it can be stopped and started again with the same
 * items) and loads the functions against it, the way a Lambda container loads them at cold start.
 * Each describe loads them afresh (`vi.resetModules`), so each starts with a new client and a full SDK
 * retry quota, like a new container; within a describe the same client lives through every fault.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UnavailableError } from '../../../lib/errors.ts';
import { toErrorBody } from '../../../lib/handlers/error-response.ts';
import { TIMEOUT_EARLY_MS } from '../../../lib/handlers/session-handler.ts';
import {
  type EmbeddedDynamo,
  ensureSessionsTable,
  startEmbeddedDynamo,
} from '../../../lib/local/embedded-dynamodb.ts';
import {
  createDocumentClient,
  DYNAMODB_MAX_ATTEMPTS,
  DYNAMODB_TIMEOUTS,
} from '../../../lib/store/dynamodb.ts';
import { SessionRepository } from '../../../lib/store/session-repository.ts';
import { startBlackHole } from '../../support/black-hole.ts';
import { storedItem, uniqueUserId } from '../../support/dynamo.ts';
import { expectNoLeak, httpError, invokeError } from '../../support/error-envelope.ts';
import { freePort } from '../../support/free-port.ts';
import { loadFunctions } from '../../support/functions.ts';
import {
  FUNCTION_OF,
  FUNCTION_TIMEOUT_MS,
  type FunctionName,
  httpEvent,
  type LambdaHandler,
  lambdaContext,
  METHODS,
  type Method,
  readHttp,
} from '../../support/lambda-events.ts';
import { aroundCommands } from '../../support/sdk-middleware.ts';
import {
  type Attempt,
  connectionReset,
  dynamoError,
  interceptWire,
  THROTTLED,
  type Wire,
} from '../../support/wire.ts';

/** The answer must come before the early-timeout margin, i.e. well before Lambda kills the function. */
const BUDGET_MS = FUNCTION_TIMEOUT_MS - TIMEOUT_EARLY_MS;
const GENERIC_UNAVAILABLE = toErrorBody(new UnavailableError('detail for the log only')).error;
const TABLE = process.env.TABLE_NAME ?? 'session-service-test-sessions';

const dataDir = mkdtempSync(join(tmpdir(), 'session-faults-'));
let dynamo: EmbeddedDynamo | undefined;
let port: number;
let endpoint: string;
/** Reads the raw items, beside the functions' own client. */
let reader: DynamoDBDocumentClient;

/** Starts dynalite on this file's port: on the same data as before, or empty (a new table then). */
async function startDynamo(data: 'kept' | 'lost' = 'kept'): Promise<void> {
  dynamo = await startEmbeddedDynamo({ port, ...(data === 'kept' ? { path: dataDir } : {}) });
  await ensureSessionsTable(endpoint, TABLE);
}

async function stopDynamo(): Promise<void> {
  await dynamo?.close();
  dynamo = undefined;
}

beforeAll(async () => {
  port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  await startDynamo();
  // Read at cold start by lib/config.ts: every function loaded below talks to this dynalite.
  process.env.DYNAMODB_ENDPOINT = endpoint;
  reader = createDocumentClient({ endpoint });
});

afterAll(async () => {
  reader?.destroy();
  await stopDynamo();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Container {
  fns: Record<FunctionName, LambdaHandler>;
  /** The client built once at cold start and shared by every function of the container. */
  documentClient: DynamoDBDocumentClient;
}

/** Loads the functions as a fresh Lambda container would. */
async function coldStart(): Promise<Container> {
  vi.resetModules();
  const { documentClient } = await import('../../../lib/handlers/runtime.ts');
  return {
    documentClient,
    fns: await loadFunctions(),
  };
}

const item = (userId: string) => storedItem(reader, userId, TABLE);

/** A live session with data in every field, made through the functions. */
async function seed({ fns }: Container, userId = uniqueUserId('fault')): Promise<string> {
  expect(readHttp(await fns['create-or-get'](httpEvent('PUT', userId), lambdaContext())).status).toBe(201);
  const patched = readHttp(
    await fns.update(
      httpEvent('PATCH', userId, {
        body: JSON.stringify({ step: 'pick_time', booking: { service: 'Haircut' }, context: { lang: 'en' } }),
      }),
      lambdaContext(),
    ),
  );
  expect(patched.status).toBe(200);
  return userId;
}

const PATCH_BODY = JSON.stringify({
  step: 'confirm',
  booking: { name: 'Ada', partySize: 4 },
  context: { lang: 'fr' },
});

/** The DynamoDB operation behind each route. */
const OPERATION: Record<Method, string> = {
  PUT: 'UpdateItem',
  GET: 'GetItem',
  PATCH: 'UpdateItem',
  POST: 'UpdateItem',
  // A delete leaves a tombstone: an UpdateItem.
  DELETE: 'UpdateItem',
};

interface Answered {
  name: string;
  elapsedMs: number;
  /** The error the caller saw, after checking the envelope; undefined on success. */
  error: ReturnType<typeof httpError> | undefined;
  status: number | undefined;
  text: string;
}

async function http(
  container: Container,
  method: Method,
  userId: string,
  headers: Record<string, string> = {},
) {
  const started = performance.now();
  const event = httpEvent(method, userId, { ...(method === 'PATCH' ? { body: PATCH_BODY } : {}), headers });
  const answer = readHttp(await container.fns[FUNCTION_OF[method]](event, lambdaContext()));
  const elapsedMs = performance.now() - started;
  return {
    name: `${method} over HTTP`,
    elapsedMs,
    status: answer.status,
    text: answer.text,
    error: answer.status >= 400 ? httpError(answer) : undefined,
  } satisfies Answered;
}

const INVOKE_PAYLOAD: Record<FunctionName, (userId: string) => Record<string, unknown>> = {
  'create-or-get': (userId) => ({ userId }),
  'get-session': (userId) => ({ userId }),
  update: (userId) => ({ userId, ...JSON.parse(PATCH_BODY) }),
  clear: (userId) => ({ userId }),
  delete: (userId) => ({ userId }),
  erase: (userId) => ({ userId }),
  'export-user': (userId) => ({ userId }),
};

async function invoke(container: Container, fn: FunctionName, userId: string) {
  const started = performance.now();
  const response = (await container.fns[fn](INVOKE_PAYLOAD[fn](userId), lambdaContext())) as { ok: boolean };
  const elapsedMs = performance.now() - started;
  return {
    name: `${fn} by invocation`,
    elapsedMs,
    status: undefined,
    text: JSON.stringify(response),
    error: response.ok ? undefined : invokeError(response),
  } satisfies Answered;
}

/** Every function, over HTTP and by direct invocation, on one user's session. */
function everyCall(container: Container, userId: string): (() => Promise<Answered>)[] {
  return [
    ...METHODS.map((method) => () => http(container, method, userId)),
    ...METHODS.map((method) => () => invoke(container, FUNCTION_OF[method], userId)),
  ];
}

/** 503 UNAVAILABLE (or ok: false) with the generic message, nothing else, within `withinMs`. */
function expectUnavailable(answered: Answered, withinMs = BUDGET_MS): void {
  if (answered.status !== undefined) expect(answered.status, `${answered.name}: ${answered.text}`).toBe(503);
  expect(answered.error, `${answered.name}: ${answered.text}`).toEqual(GENERIC_UNAVAILABLE);
  expectNoLeak(answered.text);
  expect(answered.elapsedMs, `${answered.name} took ${Math.round(answered.elapsedMs)} ms`).toBeLessThan(
    withinMs,
  );
}

/** Runs `act` with `plan` on the wire of the container's client, and takes the plan off afterwards. */
async function withFaults<T>(
  container: Container,
  plan: (attempt: Attempt) => Promise<{ response: unknown }>,
  act: (wire: Wire) => Promise<T>,
): Promise<T> {
  const wire = interceptWire(container.documentClient, plan);
  try {
    return await act(wire);
  } finally {
    wire.restore();
  }
}

/** Lets the first UpdateItem reach DynamoDB, then drops its answer as a reset connection would. */
const loseFirstUpdateAnswer = async (attempt: Attempt) => {
  if (attempt.operation !== 'UpdateItem' || attempt.count > 1) return attempt.forward();
  await attempt.forward();
  throw connectionReset();
};

describe('faults: DynamoDB throttles', () => {
  // Throttling is injected on the wire (see wire.ts), below the SDK's retry middleware: each injected
  // answer is one attempt, deserialized into the real ProvisionedThroughputExceededException, classified
  // and retried by the SDK with its throttling backoff. Throwing above the retry layer (as the next
  // describe does, to see what the repository gets once retries are spent) would skip that path.
  let container: Container;
  let wire: Wire | undefined;

  beforeAll(async () => {
    container = await coldStart();
  });

  const inject = (plan: (attempt: Attempt) => Promise<{ response: unknown }>) => {
    wire = interceptWire(container.documentClient, plan);
    return wire;
  };

  it.each(METHODS)(
    '%s succeeds when its first attempt is throttled, once the SDK has retried',
    async (method) => {
      const userId = await seed(container);
      const wire = inject(async (attempt) =>
        attempt.operation === OPERATION[method] && attempt.count === 1 ? THROTTLED() : attempt.forward(),
      );

      try {
        const answered = await http(container, method, userId);

        expect(answered.status, answered.text).toBeLessThan(300);
        expect(wire.count(OPERATION[method])).toBe(2);
      } finally {
        wire.restore();
      }
    },
  );

  it('applies a PATCH exactly once after two throttled attempts', async () => {
    const userId = await seed(container);
    const before = await item(userId);
    const wire = inject(async (attempt) =>
      attempt.operation === 'UpdateItem' && attempt.count <= 2 ? THROTTLED() : attempt.forward(),
    );

    try {
      const answered = await http(container, 'PATCH', userId);

      expect(answered.status, answered.text).toBe(200);
      expect(wire.count('UpdateItem')).toBe(DYNAMODB_MAX_ATTEMPTS);
      expect(await item(userId)).toMatchObject({ version: Number(before?.version) + 1, step: 'confirm' });
    } finally {
      wire.restore();
    }
  });

  it('a PATCH applied but never answered gets 503, and its retry under the same Idempotency-Key applies nothing again', async () => {
    const userId = await seed(container);
    const before = Number((await item(userId))?.version);
    const headers = { 'idempotency-key': 'wamid.unanswered' };
    const wire = inject(async (attempt) => {
      if (attempt.operation !== 'UpdateItem') return attempt.forward();
      await attempt.forward();
      throw connectionReset();
    });

    let unanswered: Answered;
    try {
      unanswered = await http(container, 'PATCH', userId, headers);
    } finally {
      wire.restore();
    }
    const retried = await http(container, 'PATCH', userId, headers);

    expectUnavailable(unanswered);
    expect(retried.status, retried.text).toBe(200);
    expect(JSON.parse(retried.text)).toMatchObject({ version: before + 1, step: 'confirm' });
    expect(await item(userId)).toMatchObject({ version: before + 1, step: 'confirm' });
  });

  it.each([
    [400, 'ProvisionedThroughputExceededException'],
    [400, 'ThrottlingException'],
    [400, 'RequestLimitExceeded'],
    [500, 'InternalServerError'],
    [503, 'ServiceUnavailable'],
  ])('answers 503 UNAVAILABLE within the budget when every attempt gets %i %s', async (status, type) => {
    const userId = await seed(container);
    const before = await item(userId);
    const wire = inject(async (attempt) =>
      attempt.operation === 'UpdateItem' ? dynamoError(status, type, 'injected') : attempt.forward(),
    );

    try {
      const overHttp = await http(container, 'PATCH', userId);
      const attemptsOverHttp = wire.count('UpdateItem');
      const invoked = await invoke(container, 'update', userId);

      expectUnavailable(overHttp);
      expectUnavailable(invoked);
      expect(attemptsOverHttp).toBe(DYNAMODB_MAX_ATTEMPTS);
      expect(wire.count('UpdateItem')).toBe(2 * DYNAMODB_MAX_ATTEMPTS);
      expect(await item(userId)).toEqual(before);
    } finally {
      wire.restore();
    }
  });

  it('every function answers 503 UNAVAILABLE within the budget when throttling persists', async () => {
    const userId = await seed(container);
    const before = await item(userId);
    const wire = inject(async () => THROTTLED());

    try {
      const answers = await Promise.all(everyCall(container, userId).map((call) => call()));

      for (const answered of answers) expectUnavailable(answered);
    } finally {
      wire.restore();
    }
    expect(await item(userId)).toEqual(before);
  });
});

describe('faults: no partial writes', () => {
  let container: Container;

  beforeAll(async () => {
    container = await coldStart();
  });

  it('a failure thrown above the SDK retry layer on update, clear or delete leaves the item as it was', async () => {
    // Thrown in the initialize step, before the retry middleware: what the repository sees once the SDK
    // has spent its retries, the exception alone, with no retry in between.
    const userId = await seed(container);
    const before = await item(userId);
    const throttled = new ProvisionedThroughputExceededException({
      message: 'The level of configured provisioned throughput for the table was exceeded.',
      $metadata: { httpStatusCode: 400, attempts: DYNAMODB_MAX_ATTEMPTS },
    });
    const mock = aroundCommands(container.documentClient, async ({ operation, send }) => {
      if (operation === 'UpdateItem' || operation === 'DeleteItem') throw throttled;
      return send();
    });

    try {
      for (const method of ['PATCH', 'POST', 'DELETE'] as const)
        expectUnavailable(await http(container, method, userId));
      for (const fn of ['update', 'clear', 'delete'] as const)
        expectUnavailable(await invoke(container, fn, userId));
    } finally {
      mock.remove();
    }
    expect(await item(userId)).toEqual(before);
  });

  it('an unexpected SDK error on update, clear or delete is a generic 500 and leaves the item as it was', async () => {
    const userId = await seed(container);
    const before = await item(userId);
    const denied = () =>
      dynamoError(
        400,
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/x is not authorized',
      );
    const wire = interceptWire(container.documentClient, async (attempt) =>
      attempt.operation === 'UpdateItem' || attempt.operation === 'DeleteItem' ? denied() : attempt.forward(),
    );

    try {
      for (const method of ['PATCH', 'POST', 'DELETE'] as const) {
        const answered = await http(container, method, userId);
        expect(answered.status).toBe(500);
        expect(answered.error).toEqual({
          code: 'INTERNAL',
          message: 'an internal error occurred',
          details: [],
        });
        expectNoLeak(answered.text);
      }
    } finally {
      wire.restore();
    }
    expect(await item(userId)).toEqual(before);
  });

  it('a connection that drops before DynamoDB gets the write leaves the item as it was', async () => {
    const userId = await seed(container);
    const before = await item(userId);
    const wire = interceptWire(container.documentClient, async (attempt) => {
      if (attempt.operation === 'UpdateItem' || attempt.operation === 'DeleteItem') throw connectionReset();
      return attempt.forward();
    });

    try {
      for (const method of ['PATCH', 'POST', 'DELETE'] as const)
        expectUnavailable(await http(container, method, userId));
      for (const fn of ['update', 'clear', 'delete'] as const)
        expectUnavailable(await invoke(container, fn, userId));
      expect(wire.attempts.length).toBe(6 * DYNAMODB_MAX_ATTEMPTS);
    } finally {
      wire.restore();
    }
    expect(await item(userId)).toEqual(before);
  });

  it('a write whose answer is lost is all or nothing: the item holds the whole patch or none of it', async () => {
    for (const lost of ['first answer', 'every answer'] as const) {
      const userId = await seed(container);
      const before = await item(userId);
      const plan =
        lost === 'first answer'
          ? loseFirstUpdateAnswer
          : async (attempt: Attempt) => {
              if (attempt.operation !== 'UpdateItem') return attempt.forward();
              await attempt.forward();
              throw connectionReset();
            };

      const answered = await withFaults(container, plan, () => http(container, 'PATCH', userId));

      expect(answered.status, `${lost}: ${answered.text}`).not.toBe(500);
      const after = await item(userId);
      const whole = {
        step: 'confirm',
        booking: { service: 'Haircut', name: 'Ada', partySize: 4 },
        context: { lang: 'fr' },
      };
      const untouched = { step: before?.step, booking: before?.booking, context: before?.context };
      expect([whole, untouched], `${lost}: ${JSON.stringify(after)}`).toContainEqual({
        step: after?.step,
        booking: after?.booking,
        context: after?.context,
      });
    }
  });

  it('a PATCH whose first answer was lost is applied once: the version moves by 1', async () => {
    // The SDK retries the UpdateItem that DynamoDB already applied; "#version = #version + :one" is
    // not idempotent, so the retry applies the patch a second time.
    const userId = await seed(container);
    const before = await item(userId);

    const answered = await withFaults(container, loseFirstUpdateAnswer, () =>
      http(container, 'PATCH', userId),
    );

    expect(answered.status, answered.text).toBe(200);
    expect((await item(userId))?.version, 'version after one PATCH').toBe(Number(before?.version) + 1);
  });

  it('a PATCH with If-Match whose first answer was lost is not refused as a conflict with itself', async () => {
    // The retried attempt fails its version condition because the first attempt was applied; the
    // repository then reads version+1 and reports VERSION_CONFLICT for the caller's own write.
    const userId = await seed(container);
    const before = await item(userId);

    const answered = await withFaults(container, loseFirstUpdateAnswer, () =>
      http(container, 'PATCH', userId, { 'if-match': `"${before?.sessionId}.${before?.version}"` }),
    );

    expect(await item(userId)).toMatchObject({ version: Number(before?.version) + 1, step: 'confirm' });
    expect(answered.status, answered.text).toBe(200);
  });

  it('a DynamoDB that goes away fails every write with 503 and, once back, holds the item exactly as it was', async () => {
    const userId = await seed(container);
    const before = await item(userId);

    await stopDynamo();
    try {
      for (const method of ['PATCH', 'POST', 'DELETE', 'PUT'] as const) {
        expectUnavailable(await http(container, method, userId));
      }
      for (const fn of ['update', 'clear', 'delete'] as const)
        expectUnavailable(await invoke(container, fn, userId));
    } finally {
      await startDynamo('kept');
    }

    expect(await item(userId)).toEqual(before);
  });
});

describe('faults: DynamoDB unreachable', () => {
  let container: Container;
  let userId: string;

  beforeAll(async () => {
    container = await coldStart();
    userId = await seed(container);
  });

  it('the repository answers UNAVAILABLE for every operation against a closed port', async () => {
    const closed = await freePort();
    const sessions = new SessionRepository(createDocumentClient({ endpoint: `http://127.0.0.1:${closed}` }), {
      tableName: TABLE,
      inactiveDays: 30,
    });
    const operations = [
      () => sessions.createOrGet(userId),
      () => sessions.get(userId),
      () => sessions.update(userId, { step: 'a' }),
      () => sessions.clear(userId),
      () => sessions.delete(userId),
    ];
    for (const operation of operations) {
      const started = performance.now();
      await expect(operation()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(performance.now() - started).toBeLessThan(BUDGET_MS);
    }
  });

  it('every function answers 503 UNAVAILABLE, generic and within the budget, once nothing listens', async () => {
    await stopDynamo();

    for (const call of everyCall(container, userId)) expectUnavailable(await call());
  });

  it('every function answers 503 UNAVAILABLE before the Lambda deadline when DynamoDB never answers', async () => {
    // The same port now accepts connections and never answers. The SDK's requestTimeout only warns
    // (see the last test), so it is the early timeout of the middleware stack that answers.
    const blackHole = await startBlackHole(port);
    const wire = interceptWire(container.documentClient);
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const answers = await Promise.all(everyCall(container, userId).map((call) => call()));

      for (const answered of answers) expectUnavailable(answered, FUNCTION_TIMEOUT_MS);
      expect(blackHole.connections()).toBeGreaterThan(0);
    } finally {
      await blackHole.close();
      // Requests the early timeout abandoned are still in the client; let them fail before moving on.
      await wire.settled();
      wire.restore();
      warnings.mockRestore();
    }
  });

  it('the same process recovers when DynamoDB is back, with no restart', async () => {
    await startDynamo('lost');

    const created = await http(container, 'PUT', userId);
    const patched = await http(container, 'PATCH', userId);

    expect(created.status, created.text).toBe(201);
    expect(patched.status, patched.text).toBe(200);
    expect(await item(userId)).toMatchObject({ version: 2, step: 'confirm' });
  });

  it('the SDK gives up on an unanswered request within its own budget (attempts x requestTimeout)', async () => {
    // lib/store/dynamodb.ts sets requestTimeout: 3000 and maxAttempts: 3, and documents a worst case of
    // about 3 x 3 s. With @smithy/node-http-handler 4.x, requestTimeout without throwOnRequestTimeout
    // only logs a warning, so an unanswered request waits forever and is never retried.
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const blackHole = await startBlackHole();
    const client = createDocumentClient({ endpoint: `http://127.0.0.1:${blackHole.port}` });
    const sessions = new SessionRepository(client, { tableName: TABLE, inactiveDays: 30 });
    const budgetMs = DYNAMODB_MAX_ATTEMPTS * DYNAMODB_TIMEOUTS.requestTimeout + 1_500;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = sessions.get(userId).then(
      () => 'answered',
      (error: { code?: string }) => error.code ?? 'error',
    );
    const stillWaiting = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still waiting'), budgetMs);
    });

    try {
      const outcome = await Promise.race([gaveUp, stillWaiting]);

      const warned = warnings.mock.calls.map((call) => String(call[0])).join(' | ');
      expect(outcome, `connections: ${blackHole.connections()}; SDK warnings: ${warned}`).toBe('UNAVAILABLE');
      expect(blackHole.connections()).toBe(DYNAMODB_MAX_ATTEMPTS);
    } finally {
      clearTimeout(timer);
      await blackHole.close();
      await gaveUp;
      client.destroy();
      warnings.mockRestore();
    }
  }, 30_000);
});
