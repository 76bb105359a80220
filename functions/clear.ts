import { httpBodies, invokePayloads, parseInput, parseOptionalBody } from '../lib/schema.ts';
import { sessionHandler } from '../lib/session-handler.ts';

/** POST /sessions/{userId}/clear: empties step, booking and context, keeping the session itself. */
export const handler = sessionHandler({
  name: 'clear',
  fromHttp: ({ userId, body, expectedVersion }) => {
    parseOptionalBody(httpBodies.empty, body);
    return { userId, expectedVersion };
  },
  fromInvoke: (payload) => parseInput(invokePayloads.clear, payload),
  run: ({ userId, expectedVersion }, sessions) => sessions.clear(userId, { expectedVersion }),
  toHttp: (session) => ({ status: 200, session }),
  toInvoke: (session) => ({ ok: true, session }),
});
