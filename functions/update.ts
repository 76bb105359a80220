import { sessionHandler } from '../lib/handlers/session-handler.ts';
import { httpBodies, invokePayloads, parseInput } from '../lib/session/schema.ts';

/** PATCH /sessions/{userId}: merges step, booking and context into the live session. */
export const handler = sessionHandler({
  name: 'update',
  fromHttp: ({ userId, body, ifMatch, idempotencyKey }) => ({
    userId,
    patch: parseInput(httpBodies.update, body),
    options: { ...ifMatch, idempotencyKey },
  }),
  fromInvoke: (payload) => {
    const { userId, expectedVersion, expectedSessionId, idempotencyKey, callId, ...patch } = parseInput(
      invokePayloads.update,
      payload,
    );
    return { userId, patch, options: { expectedVersion, expectedSessionId, idempotencyKey, callId } };
  },
  run: ({ userId, patch, options }, sessions) => sessions.applyUpdate(userId, patch, options),
  toHttp: ({ session, replayed }) => ({ status: 200, session, replayed }),
  toInvoke: ({ session, replayed }) => ({ ok: true, session, ...(replayed ? { replayed } : {}) }),
});
