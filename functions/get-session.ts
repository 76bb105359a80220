import { NotFoundError } from '../lib/errors.ts';
import { sessionHandler } from '../lib/handlers/session-handler.ts';
import { httpBodies, invokePayloads, parseInput, parseOptionalBody } from '../lib/session/schema.ts';

/** GET /sessions/{userId}: the user's live session, or 404; 412 when If-Match names another tag. */
export const handler = sessionHandler({
  name: 'getSession',
  fromHttp: ({ userId, body, ifMatch }) => {
    parseOptionalBody(httpBodies.empty, body);
    return { userId, ifMatch };
  },
  fromInvoke: (payload) => ({ ...parseInput(invokePayloads.getSession, payload), ifMatch: undefined }),
  run: async ({ userId, ifMatch }, sessions) => {
    const session = await sessions.get(userId, ifMatch);
    if (session === undefined) throw new NotFoundError('session not found');
    return session;
  },
  toHttp: (session) => ({ status: 200, session }),
  toInvoke: (session) => ({ ok: true, session }),
});
