import { NotFoundError } from '../lib/errors.ts';
import { httpBodies, invokePayloads, parseInput, parseOptionalBody } from '../lib/schema.ts';
import { sessionHandler } from '../lib/session-handler.ts';

/** GET /sessions/{userId}: the user's live session, or 404. */
export const handler = sessionHandler({
  name: 'getSession',
  fromHttp: ({ userId, body }) => {
    parseOptionalBody(httpBodies.empty, body);
    return { userId };
  },
  fromInvoke: (payload) => parseInput(invokePayloads.get, payload),
  run: async ({ userId }, sessions) => {
    const session = await sessions.get(userId);
    if (session === undefined) throw new NotFoundError('session not found');
    return session;
  },
  toHttp: (session) => ({ status: 200, session }),
  toInvoke: (session) => ({ ok: true, session }),
});
