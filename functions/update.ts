import { httpBodies, invokePayloads, parseInput } from '../lib/schema.ts';
import { sessionHandler } from '../lib/session-handler.ts';

/** PATCH /sessions/{userId}: merges step, booking and context into the live session. */
export const handler = sessionHandler({
  name: 'update',
  fromHttp: ({ userId, body, expectedVersion }) => ({
    userId,
    patch: parseInput(httpBodies.update, body),
    expectedVersion,
  }),
  fromInvoke: (payload) => {
    const { userId, expectedVersion, ...patch } = parseInput(invokePayloads.update, payload);
    return { userId, patch, expectedVersion };
  },
  run: ({ userId, patch, expectedVersion }, sessions) => sessions.update(userId, patch, { expectedVersion }),
  toHttp: (session) => ({ status: 200, session }),
  toInvoke: (session) => ({ ok: true, session }),
});
