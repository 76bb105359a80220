import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { NotFoundError, ValidationError } from '../../../lib/errors.ts';
import { type SessionOperation, sessionHandler } from '../../../lib/handlers/session-handler.ts';
import { logIdOf } from '../../../lib/log-id.ts';
import type { SessionRepository } from '../../../lib/store/session-repository.ts';
import { httpEvent, lambdaContext, readHttp } from '../../support/lambda-events.ts';

const USER = 'wa:+447700900123';

/** No DynamoDB: the operation under test never touches its repository unless it is told to. */
const repository = {} as SessionRepository;
/** Metrics that publish nothing: this file tests the stack, tests/metrics/ tests the figures. */
const metrics = new Metrics({ namespace: 'unit', serviceName: 'unit' });
vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);

function build(run: (userId: string) => Promise<string>, ownerClaim = 'sub') {
  const logger = new Logger({ logLevel: 'SILENT' });
  const logged = { error: vi.spyOn(logger, 'error'), info: vi.spyOn(logger, 'info') };
  const operation: SessionOperation<string, string> = {
    name: 'getSession',
    fromHttp: ({ userId }) => userId,
    fromInvoke: (payload) => (payload as { userId: string }).userId,
    run: (userId, sessions) => {
      expect(sessions).toBe(repository);
      return run(userId);
    },
    toHttp: (result) => ({ status: 200, headers: { 'X-Result': result } }),
    toInvoke: (result) => ({ ok: true, result }),
  };
  const handler = sessionHandler(operation, { repository, config: { ownerClaim }, logger, metrics });
  return { handler, logged };
}

describe('sessionHandler', () => {
  it('serves an HTTP event through fromHttp and toHttp', async () => {
    const { handler } = build(async (userId) => `ran for ${userId}`);
    const answer = readHttp(await handler(httpEvent('GET', USER), lambdaContext()));
    expect(answer).toMatchObject({ status: 200, headers: { 'X-Result': `ran for ${USER}` } });
  });

  it('serves a direct invocation through fromInvoke and toInvoke', async () => {
    const { handler } = build(async (userId) => `ran for ${userId}`);
    expect(await handler({ userId: USER }, lambdaContext())).toEqual({ ok: true, result: `ran for ${USER}` });
  });

  it('checks ownership with the injected owner claim', async () => {
    const { handler } = build(async () => 'never', 'uid');
    const answer = readHttp(await handler(httpEvent('GET', USER), lambdaContext()));
    expect(answer.status).toBe(401);
  });

  it.each([
    ['an expected error', new NotFoundError('session not found'), 404, 'NOT_FOUND', 'info'],
    ['a validation error', new ValidationError('step is wrong'), 400, 'VALIDATION_FAILED', 'info'],
    ['an unexpected error', new TypeError('secret internals'), 500, 'INTERNAL', 'error'],
  ] as const)(
    'answers %s over HTTP with %d %s and logs it at %s',
    async (_name, thrown, status, code, level) => {
      const { handler, logged } = build(async () => {
        throw thrown;
      });
      const answer = readHttp(await handler(httpEvent('GET', USER), lambdaContext()));
      expect(answer.status).toBe(status);
      expect(answer.json).toMatchObject({ error: { code } });
      expect(answer.text).not.toContain('secret internals');
      expect(logged[level]).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ code }));
    },
  );

  it.each([
    ['an expected error', new NotFoundError('session not found'), 'NOT_FOUND'],
    ['an unexpected error', new Error('secret internals'), 'INTERNAL'],
  ])('answers %s to a direct invocation with an ok: false envelope', async (_name, thrown, code) => {
    const { handler } = build(async () => {
      throw thrown;
    });
    const response = await handler({ userId: USER }, lambdaContext());
    expect(response).toMatchObject({ ok: false, error: { code } });
    expect(JSON.stringify(response)).not.toContain('secret internals');
  });

  it('answers UNAVAILABLE just before the Lambda deadline', async () => {
    const { handler } = build(() => new Promise(() => undefined));
    const answer = readHttp(await handler(httpEvent('GET', USER), lambdaContext(600)));
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ error: { code: 'UNAVAILABLE' } });
  });

  describe('pseudonymous logs', () => {
    const KEY = 'a-stage-key-of-at-least-thirty-two-chars';
    function pseudonymised() {
      const logger = new Logger({ logLevel: 'SILENT' });
      const appended = vi.spyOn(logger, 'appendKeys');
      const operation: SessionOperation<unknown, string> = {
        name: 'getSession',
        fromHttp: () => 'x',
        fromInvoke: () => 'x',
        run: async () => 'done',
        toHttp: () => ({ status: 204 }),
        toInvoke: () => ({ ok: true }),
      };
      const handler = sessionHandler(operation, {
        repository,
        config: { ownerClaim: 'sub' },
        logger,
        metrics,
        logIdKey: KEY,
      });
      return { handler, appended };
    }

    it.each([
      ['the decoded path', httpEvent('GET', USER), USER],
      [
        'a path that does not decode, as it came',
        httpEvent('GET', USER, { rawUserId: '%E0%A4%A' }),
        '%E0%A4%A',
      ],
      ['the invoke payload', { userId: USER }, USER],
    ])("puts the keyed hash of the user id from %s on the request's lines", async (_name, event, userId) => {
      const { handler, appended } = pseudonymised();
      await handler(event, lambdaContext());
      expect(appended).toHaveBeenCalledWith({ logId: logIdOf(userId, KEY) });
    });

    it.each([
      ['an HTTP event without the path parameter', httpEvent('GET', USER, { rawUserId: null })],
      ['a payload without a string userId', { userId: 42 }],
      ['a null payload', null],
    ])('adds nothing for %s', async (_name, event) => {
      const { handler, appended } = pseudonymised();
      await handler(event, lambdaContext());
      expect(appended).not.toHaveBeenCalled();
    });
  });
});
