import { httpBodies, invokePayloads, parseInput, parseOptionalBody } from '../lib/schema.ts';
import { sessionHandler } from '../lib/session-handler.ts';

/** PUT /sessions/{userId}: the user's live session, created when there is none (201) or returned (200). */
export const handler = sessionHandler({
  name: 'createOrGet',
  fromHttp: ({ userId, body }) => ({
    userId,
    source: parseOptionalBody(httpBodies.createOrGet, body).source ?? 'Website',
  }),
  fromInvoke: (payload) => {
    const { userId, source } = parseInput(invokePayloads.createOrGet, payload);
    return { userId, source: source ?? 'Chatbot' };
  },
  run: ({ userId, source }, sessions) => sessions.createOrGet(userId, source),
  toHttp: ({ session, created }) =>
    created
      ? {
          status: 201,
          session,
          headers: {
            Location: `/sessions/${encodeURIComponent(session.userId)}`,
          },
        }
      : { status: 200, session },
  toInvoke: ({ session, created }) => ({ ok: true, session, created }),
});
