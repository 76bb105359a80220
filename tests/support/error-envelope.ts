/** Assertions on what the functions answer when they fail: the envelope's shape, and no leaked internals. */
import { expect } from 'vitest';
import type { ErrorCode } from '../../lib/errors.ts';
import type { HttpAnswer } from './lambda-events.ts';

export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  details: { path: string; message: string }[];
}

/** The `{error}` of an HTTP error body, after checking it has exactly the documented shape. */
export function httpError(answer: HttpAnswer): ErrorEnvelope {
  expect(answer.headers['Content-Type']).toBe('application/json');
  const body = answer.json as { error: ErrorEnvelope };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(typeof body.error.message).toBe('string');
  expect(Array.isArray(body.error.details)).toBe(true);
  return body.error;
}

/** The `{error}` of a direct-invocation answer, after checking the `{ok: false, error}` envelope. */
export function invokeError(response: unknown): ErrorEnvelope {
  const answer = response as { ok: unknown; error: ErrorEnvelope };
  expect(Object.keys(answer).sort()).toEqual(['error', 'ok']);
  expect(answer.ok).toBe(false);
  expect(Object.keys(answer.error).sort()).toEqual(['code', 'details', 'message']);
  return answer.error;
}

/** What must never reach a caller: stack frames, SDK exception names, or anything about the store. */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\bat\s+(?:async\s+)?[\w$.<>[\]]*\s*\(?(?:file:|node:|\/)/],
  ['a stack line', /\n\s+at\s/],
  ['a source location', /\.(?:ts|js|cjs|mjs):\d+/],
  ['an SDK exception', /ValidationException|ConditionalCheckFailed|ResourceNotFound|Exception\b/],
  ['a network error', /ECONN|ETIMEDOUT|EPIPE|socket hang up/],
  ['the store', /dynamo|amazonaws|TableName|UpdateExpression|node_modules/i],
];

/** Fails when `text` (an error body) carries any detail that belongs in the log only. */
export function expectNoLeak(text: string): void {
  for (const [what, pattern] of LEAKS) {
    expect(pattern.test(text), `error body exposes ${what}: ${text.slice(0, 300)}`).toBe(false);
  }
}
