/**
 * The sweep's logic on an in-memory repository: no DynamoDB, no network. What the index holds, what a
 * delete does and when a request hangs or fails are decided here, so every branch runs on purpose.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UnavailableError } from '../../../lib/errors.ts';
import {
  createSweepHandler,
  SWEEP_SAFETY_MARGIN_MS,
  sweepSafetyMarginMs,
} from '../../../lib/handlers/sweep-handler.ts';
import { SERVERLESS_YML } from '../../../lib/local/table-definition.ts';
import { DAY_MS, inactiveCutoff } from '../../../lib/store/clock.ts';
import { DYNAMODB_MAX_ATTEMPTS, DYNAMODB_TIMEOUTS, worstCaseRequestMs } from '../../../lib/store/dynamodb.ts';
import type { InactivePage, InactiveSession, SweepOutcome } from '../../../lib/sweep/session-index.ts';
import {
  type SweepIndex,
  SweepInterruptedError,
  type SweepOptions,
  sweepInactiveSessions,
} from '../../../lib/sweep/sweep.ts';
import { lambdaContext } from '../../support/lambda-events.ts';
import { type CapturedOutput, captureOutput } from '../../support/output-capture.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const CUTOFF = inactiveCutoff(NOW, 30);

/** What the fake does with one delete attempt (1-based) of one user. */
type DeleteBehaviour = (userId: string, attempt: number) => 'delete' | 'skip' | 'throttle' | 'deny' | 'hang';

/** Resolves never; rejects with an AbortError when `signal` aborts, as the SDK does. */
function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort);
  });
}

interface FakeOptions {
  count: number;
  pageSize?: number;
  readsAnswered?: number;
  afterReads?: 'fail' | 'hang';
  onDelete?: DeleteBehaviour;
}

/**
 * An index of `count` expired sessions in pages of `pageSize`. `readsAnswered` pages are served, then the
 * next read fails (`'fail'`) or never answers (`'hang'`). Deletes follow `onDelete`.
 */
class FakeRepository implements SweepIndex {
  readonly attempts = new Map<string, number>();
  readonly deleted: string[] = [];
  readonly signals: { reads: (AbortSignal | undefined)[]; deletes: (AbortSignal | undefined)[] } = {
    reads: [],
    deletes: [],
  };
  inFlight = 0;
  maxInFlight = 0;

  readonly options: FakeOptions;

  constructor(options: FakeOptions) {
    this.options = options;
  }

  async *inactivePages(
    cutoff: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<InactivePage, void, undefined> {
    this.signals.reads.push(options.signal);
    const sessions: InactiveSession[] = Array.from({ length: this.options.count }, (_, index) => ({
      userId: `user-${index}`,
      updatedBucket: Date.parse(cutoff) - (index + 1) * 60_000,
    }));
    const pageSize = this.options.pageSize ?? 10;
    for (let page = 0; page * pageSize < sessions.length; page++) {
      if (page >= (this.options.readsAnswered ?? Number.POSITIVE_INFINITY)) {
        if (this.options.afterReads === 'hang') await hangUntilAborted(options.signal);
        throw new UnavailableError('the session store is unavailable; try again shortly');
      }
      await Promise.resolve();
      yield { sessions: sessions.slice(page * pageSize, (page + 1) * pageSize), consumedReadCapacity: 0.5 };
    }
  }

  async deleteIfInactive(
    userId: string,
    _cutoff: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<SweepOutcome> {
    this.signals.deletes.push(options.signal);
    const attempt = (this.attempts.get(userId) ?? 0) + 1;
    this.attempts.set(userId, attempt);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1));
      switch (this.options.onDelete?.(userId, attempt) ?? 'delete') {
        case 'skip':
          return 'skipped';
        case 'throttle':
          throw new UnavailableError('the session store is unavailable; try again shortly');
        case 'deny':
          throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
        case 'hang':
          return await hangUntilAborted(options.signal);
        default:
          this.deleted.push(userId);
          return 'deleted';
      }
    } finally {
      this.inFlight--;
    }
  }
}

function sweep(repository: SweepIndex, options: Partial<SweepOptions> = {}) {
  return sweepInactiveSessions(repository, {
    inactiveDays: 30,
    dryRun: false,
    concurrency: 4,
    now: NOW,
    remainingTimeMs: () => 900_000,
    safetyMarginMs: 10_000,
    sleep: async () => undefined,
    ...options,
  });
}

/** A Lambda deadline `ms` from now, as getRemainingTimeInMillis would count it down. */
function deadlineIn(ms: number) {
  const deadline = Date.now() + ms;
  return { deadline, remainingTimeMs: () => deadline - Date.now() };
}

describe('sweepInactiveSessions (in memory)', () => {
  it('deletes every session the index lists, counting each outcome', async () => {
    // Prepare
    const repository = new FakeRepository({
      count: 25,
      onDelete: (userId) => (userId === 'user-3' ? 'skip' : 'delete'),
    });

    // Act
    const report = await sweep(repository);

    // Assess
    expect(report).toMatchObject({
      cutoff: CUTOFF,
      examined: 25,
      deleted: 24,
      skipped: 1,
      errors: 0,
      complete: true,
      dryRun: false,
      consumedReadCapacity: 1.5,
    });
    expect(repository.deleted).toHaveLength(24);
  });

  it('in a dry run, examines every session and deletes none', async () => {
    // Prepare
    const repository = new FakeRepository({ count: 25 });

    // Act
    const report = await sweep(repository, { dryRun: true });

    // Assess
    expect(report).toMatchObject({ examined: 25, deleted: 0, skipped: 0, errors: 0, complete: true });
    expect(repository.attempts.size).toBe(0);
  });

  it.each([1, 4, 16])('keeps at most %i deletes in flight', async (concurrency) => {
    // Prepare
    const repository = new FakeRepository({ count: 60 });

    // Act
    const report = await sweep(repository, { concurrency });

    // Assess
    expect(report.deleted).toBe(60);
    expect(repository.maxInFlight).toBeLessThanOrEqual(concurrency);
  });

  it.each([0, 1.5, -1])('refuses a concurrency of %s', async (concurrency) => {
    await expect(sweep(new FakeRepository({ count: 1 }), { concurrency })).rejects.toThrow(RangeError);
  });

  describe('throttle retries', () => {
    it('retries a throttled delete with a growing, bounded back-off, and deletes it', async () => {
      // Prepare
      const repository = new FakeRepository({
        count: 1,
        onDelete: (_userId, attempt) => (attempt <= 3 ? 'throttle' : 'delete'),
      });
      const sleeps: number[] = [];

      // Act
      const report = await sweep(repository, {
        throttleRetries: 3,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });

      // Assess
      expect(report).toMatchObject({ deleted: 1, errors: 0 });
      expect(repository.attempts.get('user-0')).toBe(4);
      sleeps.forEach((ms, retry) => {
        expect(ms).toBeGreaterThanOrEqual((100 * 2 ** retry) / 2);
        expect(ms).toBeLessThanOrEqual(100 * 2 ** retry);
      });
    });

    it('counts an error after the last retry and tells onError', async () => {
      // Prepare
      const repository = new FakeRepository({ count: 2, onDelete: () => 'throttle' });
      const failed: unknown[] = [];

      // Act
      const report = await sweep(repository, {
        throttleRetries: 2,
        onError: (error) => failed.push(error),
      });

      // Assess
      expect(report).toMatchObject({ examined: 2, deleted: 0, errors: 2 });
      expect(repository.attempts.get('user-0')).toBe(3);
      expect(failed).toEqual([expect.any(UnavailableError), expect.any(UnavailableError)]);
    });

    it('does not retry an error that is not a throttle', async () => {
      // Prepare
      const repository = new FakeRepository({ count: 1, onDelete: () => 'deny' });

      // Act
      const report = await sweep(repository, { throttleRetries: 5 });

      // Assess
      expect(report.errors).toBe(1);
      expect(repository.attempts.get('user-0')).toBe(1);
    });

    it('stops waiting between retries at the deadline', async () => {
      // Prepare: the default sleep, which the deadline's abort ends early.
      const repository = new FakeRepository({ count: 1, onDelete: () => 'throttle' });
      const { deadline, remainingTimeMs } = deadlineIn(400);

      // Act
      const report = await sweep(repository, {
        throttleRetries: 50,
        remainingTimeMs,
        safetyMarginMs: 300,
        reportReserveMs: 100,
        sleep: undefined,
      });

      // Assess
      expect(Date.now()).toBeLessThan(deadline);
      expect(report).toMatchObject({ errors: 1, deleted: 0 });
    });
  });

  describe('at the deadline', () => {
    it('starts nothing once less than the safety margin is left, and reports complete: false', async () => {
      // Prepare: plenty of time for the first 12 looks at the clock, then too little.
      const repository = new FakeRepository({ count: 40 });
      let looks = 0;

      // Act
      const report = await sweep(repository, {
        remainingTimeMs: () => (looks++ < 12 ? 60_000 : 9_999),
        safetyMarginMs: 10_000,
      });

      // Assess
      expect(report.complete).toBe(false);
      expect(report.examined).toBeGreaterThan(0);
      expect(report.examined).toBeLessThan(40);
      expect(repository.attempts.size).toBe(report.examined);
    });

    it('aborts deletes still in flight at the report reserve, and returns before the deadline', async () => {
      // Prepare: every delete hangs until aborted, as with a DynamoDB that stopped answering.
      const repository = new FakeRepository({ count: 10, onDelete: () => 'hang' });
      const { deadline, remainingTimeMs } = deadlineIn(400);
      const failed: unknown[] = [];

      // Act
      const report = await sweep(repository, {
        remainingTimeMs,
        safetyMarginMs: 300,
        reportReserveMs: 100,
        onError: (error) => failed.push(error),
      });

      // Assess
      expect(Date.now()).toBeLessThan(deadline);
      expect(report).toMatchObject({ complete: false, examined: 4, deleted: 0, errors: 4 });
      expect(failed).toEqual(Array(4).fill(expect.objectContaining({ name: 'AbortError' })));
      expect(repository.signals.deletes.every((signal) => signal?.aborted)).toBe(true);
    });

    it('aborts an index read that never answers at the safety margin: complete: false, not a failure', async () => {
      // Prepare
      const repository = new FakeRepository({ count: 30, readsAnswered: 1, afterReads: 'hang' });
      const { deadline, remainingTimeMs } = deadlineIn(400);

      // Act
      const report = await sweep(repository, { remainingTimeMs, safetyMarginMs: 300, reportReserveMs: 100 });

      // Assess
      expect(Date.now()).toBeLessThan(deadline - 100);
      expect(report).toMatchObject({ complete: false, examined: 10, deleted: 10 });
      expect(repository.signals.reads[0]?.aborted).toBe(true);
    });

    it('finishes when the time left is beyond any timer (Infinity)', async () => {
      const report = await sweep(new FakeRepository({ count: 12 }), {
        remainingTimeMs: () => Number.POSITIVE_INFINITY,
      });
      expect(report).toMatchObject({ complete: true, deleted: 12 });
    });

    it('deletes nothing when the deadline is already within the margin', async () => {
      // Prepare
      const repository = new FakeRepository({ count: 10 });

      // Act
      const report = await sweep(repository, { remainingTimeMs: () => 5_000, safetyMarginMs: 10_000 });

      // Assess
      expect(report).toMatchObject({ complete: false, examined: 0 });
      expect(repository.attempts.size).toBe(0);
    });
  });

  it('throws a SweepInterruptedError holding the report so far when the index cannot be read further', async () => {
    // Prepare
    const repository = new FakeRepository({ count: 30, readsAnswered: 2, afterReads: 'fail' });

    // Act
    const error = await sweep(repository).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(SweepInterruptedError);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({
      name: 'SweepInterruptedError',
      code: 'UNAVAILABLE',
      cause: expect.any(UnavailableError),
      report: { complete: false, examined: 20, deleted: 20, errors: 0 },
    });
  });
});

describe('worstCaseRequestMs', () => {
  it('adds every attempt’s timeouts and the longest backoff before each retry', () => {
    const timeouts = { connectionTimeout: 200, requestTimeout: 400 };
    expect(worstCaseRequestMs(timeouts, 1)).toBe(600);
    // 2 x 600, then one retry: 1 s throttling backoff + 5 s retry-after allowance.
    expect(worstCaseRequestMs(timeouts, 2)).toBe(7_200);
    expect(worstCaseRequestMs(timeouts, 3)).toBe(1_800 + 6_000 + 7_000);
  });

  it('follows the client settings of lib/store/dynamodb.ts, and the sweep keeps it back plus 1 s to report', () => {
    const perAttempt = DYNAMODB_TIMEOUTS.connectionTimeout + DYNAMODB_TIMEOUTS.requestTimeout;
    expect(worstCaseRequestMs()).toBeGreaterThan(DYNAMODB_MAX_ATTEMPTS * perAttempt);
    // On AWS: 1 s connection and 1 s request timeout, 3 attempts.
    const onAws = { connectionTimeout: 1_000, requestTimeout: 1_000 };
    expect(SWEEP_SAFETY_MARGIN_MS).toBe(worstCaseRequestMs(onAws, 3) + 1_000);
  });

  it.each([
    [{ endpoint: 'http://127.0.0.1:8000' }, { connectionTimeout: 1_000, requestTimeout: 3_000 }, 3],
    [{ requestTimeoutMs: 2_500, maxAttempts: 5 }, { connectionTimeout: 1_000, requestTimeout: 2_500 }, 5],
    [{ requestTimeoutMs: 500 }, { connectionTimeout: 500, requestTimeout: 500 }, 3],
  ])('derives the margin from the client that config describes: %j', (client, timeouts, attempts) => {
    expect(sweepSafetyMarginMs(client)).toBe(worstCaseRequestMs(timeouts, attempts) + 1_000);
  });

  it('leaves the sweep most of its Lambda timeout (serverless.yml) to work in, in every stage', () => {
    const file = parse(readFileSync(SERVERLESS_YML, 'utf8')) as {
      params: Record<string, Record<string, unknown>>;
      functions: { sweep: { timeout: number | string } };
    };
    // The timeout is a number or a stage parameter, `${param:<name>}`: a stage's own value over `default`.
    const { timeout } = file.functions.sweep;
    const param = /^\$\{param:(\w+)\}$/.exec(String(timeout))?.[1];
    for (const stage of Object.keys(file.params)) {
      const seconds =
        param === undefined ? timeout : (file.params[stage]?.[param] ?? file.params.default?.[param]);
      expect(seconds, stage).toEqual(expect.any(Number));
      expect(SWEEP_SAFETY_MARGIN_MS, stage).toBeLessThan((Number(seconds) * 1000) / 2);
    }
  });
});

describe('createSweepHandler (in memory)', () => {
  let captured: CapturedOutput | undefined;
  afterEach(() => {
    captured?.restore();
    captured = undefined;
  });
  /** What the handler wrote, stdout and stderr, each line parsed. */
  const output = () => captured?.allJson() ?? [];

  function handlerOn(repository: SweepIndex) {
    captured = captureOutput();
    return createSweepHandler({
      index: repository,
      config: { inactiveDays: 30, sweepConcurrency: 4 },
      logger: new Logger({ serviceName: 'session-service', logLevel: 'INFO' }),
      metrics: new Metrics({ namespace: 'session-service', serviceName: 'session-service' }),
    });
  }

  const emf = () => output().filter((line) => '_aws' in line);

  it('publishes the partial report of an interrupted sweep, logs it, and answers UNAVAILABLE', async () => {
    // Prepare
    const handler = handlerOn(new FakeRepository({ count: 30, readsAnswered: 2, afterReads: 'fail' }));

    // Act
    const response = await handler({}, lambdaContext(900_000));

    // Assess
    expect(response).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: expect.any(String), details: [] },
    });
    expect(emf()).toEqual([
      expect.objectContaining({ SessionsSwept: 20, SessionsSkipped: 0, SweepErrors: 0 }),
    ]);
    expect(output()).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'sweep interrupted',
        report: expect.objectContaining({ complete: false, examined: 20, deleted: 20 }),
      }),
    );
  });

  it('publishes nothing for an interrupted dry run, but still logs its report', async () => {
    // Prepare
    const handler = handlerOn(new FakeRepository({ count: 30, readsAnswered: 2, afterReads: 'fail' }));

    // Act
    const response = await handler({ dryRun: true }, lambdaContext(900_000));

    // Assess
    expect(response).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(emf()).toEqual([]);
    expect(output()).toContainEqual(
      expect.objectContaining({
        message: 'sweep interrupted',
        report: expect.objectContaining({ dryRun: true }),
      }),
    );
  });

  it('answers a finished sweep with its report and one EMF line', async () => {
    // Prepare
    const handler = handlerOn(new FakeRepository({ count: 7 }));

    // Act
    const response = await handler({}, lambdaContext(900_000));

    // Assess
    expect(response).toMatchObject({ ok: true, report: { examined: 7, deleted: 7, complete: true } });
    expect(emf()).toEqual([expect.objectContaining({ SessionsSwept: 7, SweepErrors: 0 })]);
  });

  it('rejects a window shorter than the service’s with VALIDATION_FAILED, touching nothing', async () => {
    // Prepare
    const repository = new FakeRepository({ count: 7 });
    const handler = handlerOn(repository);

    // Act
    const response = await handler({ inactiveDays: 7 }, lambdaContext(900_000));

    // Assess
    expect(response).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(repository.signals.reads).toEqual([]);
    expect(emf()).toEqual([]);
  });

  it('reads the index with an abort signal and sweeps with the configured window', async () => {
    // Prepare
    const repository = new FakeRepository({ count: 3 });
    const handler = handlerOn(repository);

    // Act
    const response = await handler({ inactiveDays: 45 }, lambdaContext(900_000));

    // Assess
    expect(response).toMatchObject({ ok: true, report: { examined: 3 } });
    expect(repository.signals.reads[0]).toBeInstanceOf(AbortSignal);
    expect(repository.signals.deletes.every((signal) => signal instanceof AbortSignal)).toBe(true);
    if (response.ok) expect(Date.parse(response.report.cutoff)).toBeLessThan(Date.now() - 44 * DAY_MS);
  });
});
