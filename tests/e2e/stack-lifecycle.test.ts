/**
 * The local stack as `npm start` brings it up: a cold burst right after start gets correct answers,
 * and a function that crashes never reaches a caller as a 2xx. Each test starts a stack of its own.
 */
import { describe, expect, it } from 'vitest';
import { startLocalStack } from '../../lib/local/stack.ts';
import { localToken } from '../../lib/local/token.ts';
import { freePort } from '../support/free-port.ts';

async function stackOnFreePorts(env?: Record<string, string>) {
  return startLocalStack({
    dynamodbPort: await freePort(),
    httpPort: await freePort(),
    lambdaPort: await freePort(),
    inMemory: true,
    output: 'ignore',
    ...(env ? { env } : {}),
  });
}

describe('the local stack', () => {
  it('answers a cold burst of 100 concurrent requests correctly', async () => {
    const stack = await stackOnFreePorts();
    try {
      const users = Array.from({ length: 100 }, (_, index) => `burst:${index}`);

      const responses = await Promise.all(
        users.map((userId) =>
          fetch(`${stack.httpUrl}/sessions/${encodeURIComponent(userId)}`, {
            method: 'PUT',
            headers: { Authorization: `Bearer ${localToken(userId)}` },
          }).then(async (response) => ({
            status: response.status,
            body: (await response.json()) as { userId: string },
          })),
        ),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(100).fill(201));
      expect(responses.map((response) => response.body.userId)).toEqual(users);
    } finally {
      await stack.stop();
    }
  }, 180_000);

  it('answers 5xx, never 2xx, when a function crashes at start', async () => {
    // An invalid endpoint makes every function fail at cold start, as a misconfiguration would.
    const stack = await stackOnFreePorts({ DYNAMODB_ENDPOINT: 'not a url' });
    try {
      const userId = 'crash:1';
      const responses = await Promise.all(
        ['PUT', 'GET', 'DELETE'].map((method) =>
          fetch(`${stack.httpUrl}/sessions/${userId}`, {
            method,
            headers: { Authorization: `Bearer ${localToken(userId)}` },
          }),
        ),
      );

      for (const response of responses) {
        expect(response.status).toBeGreaterThanOrEqual(500);
        expect(await response.text()).not.toMatch(/DYNAMODB_ENDPOINT|stack|at /);
      }
    } finally {
      await stack.stop();
    }
  }, 180_000);
});
