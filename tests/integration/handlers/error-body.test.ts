/**
 * Error bodies stay small whatever the input: at most 20 details, each path and message clipped, and
 * the whole body at most 4 KB, over HTTP and by direct invocation. Property tests on a fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handler as createOrGet } from '../../../functions/create-or-get.ts';
import { handler as update } from '../../../functions/update.ts';
import { ValidationError } from '../../../lib/errors.ts';
import { ERROR_BODY_LIMITS, toErrorBody } from '../../../lib/handlers/error-response.ts';
import { LIMITS } from '../../../lib/session/schema.ts';
import { uniqueUserId } from '../../support/dynamo.ts';
import { httpError, invokeError } from '../../support/error-envelope.ts';
import { propertyParameters } from '../../support/fuzz-parameters.ts';
import { httpEvent, lambdaContext, readHttp } from '../../support/lambda-events.ts';

const SEED = 20261126;

interface Envelope {
  code: string;
  message: string;
  details: { path: string; message: string }[];
}

function expectBounded(error: Envelope, bodyText: string): void {
  expect(Buffer.byteLength(bodyText), bodyText.slice(0, 200)).toBeLessThanOrEqual(
    ERROR_BODY_LIMITS.bodyBytes,
  );
  expect(error.details.length).toBeLessThanOrEqual(ERROR_BODY_LIMITS.details);
  expect(error.message.length).toBeLessThanOrEqual(ERROR_BODY_LIMITS.messageLength);
  expect(error.message.isWellFormed()).toBe(true);
  for (const detail of error.details) {
    expect(detail.path.length).toBeLessThanOrEqual(ERROR_BODY_LIMITS.pathLength);
    expect(detail.message.length).toBeLessThanOrEqual(ERROR_BODY_LIMITS.messageLength);
    expect(detail.path.isWellFormed() && detail.message.isWellFormed()).toBe(true);
  }
}

/** Keys of any length and alphabet, including lone surrogates and characters JSON escapes to 6 bytes. */
const hostileKey = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 600 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u001f', '\ud800', 'é', '"'), minLength: 1, maxLength: 700 }),
);

/** A path `depth` levels deep of long keys, ending in a value no field accepts. */
const deepPath = fc
  .tuple(fc.array(fc.string({ minLength: 50, maxLength: 300 }), { minLength: 1, maxLength: 5 }), fc.integer())
  .map(([keys, leaf]) =>
    keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), { leaf, bad: 2 ** 60 }),
  );

describe('error bodies', () => {
  it('keeps the error body within its limits for any details a ValidationError carries', () => {
    const detail = fc.record({
      path: fc.string({ unit: 'binary', maxLength: 2000 }),
      message: fc.string({ unit: 'binary', maxLength: 2000 }),
    });
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 3000 }),
        fc.array(detail, { maxLength: 300 }),
        (message, details) => {
          const { error } = toErrorBody(new ValidationError(message, { details }));
          expectBounded(error, JSON.stringify({ error }));
          if (details.length > ERROR_BODY_LIMITS.details) {
            expect(error.details.at(-1)?.message).toMatch(/^and \d+ more not listed$/);
          }
        },
      ),
      propertyParameters({ seed: SEED, numRuns: 300 }),
    );
  });

  it('answers a body of thousands of unknown fields with a small error over HTTP', async () => {
    const userId = uniqueUserId('wa');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(hostileKey, { minLength: 1, maxLength: 400 }), async (keys) => {
        const body = JSON.stringify(Object.fromEntries(keys.map((key) => [key, 1])));
        // Past 16 KB the body is refused before validation, with a fixed message: also small.
        const answer = readHttp(await update(httpEvent('PATCH', userId, { body }), lambdaContext()));

        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expectBounded(httpError(answer), answer.text);
      }),
      propertyParameters({ seed: SEED, numRuns: 60 }),
    );
  });

  it('answers a large direct invocation of unknown fields, long keys and deep paths with a small error', async () => {
    const userId = uniqueUserId('wa');
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(hostileKey, { minLength: 1, maxLength: 2000 }),
        deepPath,
        async (keys, context) => {
          // No 16 KB bound on this path: Lambda accepts payloads of megabytes.
          const payload = { userId, context, ...Object.fromEntries(keys.map((key) => [`x${key}`, 'value'])) };
          const response = await update(payload, lambdaContext());
          const error = invokeError(response);

          expect(error.code).toBe('VALIDATION_FAILED');
          expectBounded(error, JSON.stringify({ error }));
        },
      ),
      propertyParameters({ seed: SEED, numRuns: 40 }),
    );
  });

  it('turns the 13 KB body of unknown fields that used to answer 34 KB into at most 4 KB', async () => {
    // Regression: every unknown key was echoed in `details`.
    const userId = uniqueUserId('wa');
    const body = JSON.stringify(
      Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`f${index}`, 1])),
    );
    expect(Buffer.byteLength(body)).toBeLessThan(LIMITS.bodyBytes);

    const answer = readHttp(await createOrGet(httpEvent('PUT', userId, { body }), lambdaContext()));

    const error = httpError(answer);
    expect(answer.status).toBe(400);
    expect(error.details).toHaveLength(ERROR_BODY_LIMITS.details);
    expect(error.details.slice(0, 19).map((detail) => detail.path)).toEqual(
      Array.from({ length: 19 }, (_, index) => `f${index}`),
    );
    expect(error.details[19]).toEqual({ path: '', message: 'and 981 more not listed' });
    expectBounded(error, answer.text);
  });
});
