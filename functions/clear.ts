import { sessionHandler } from '../lib/handlers/session-handler.ts';
import {
  httpBodies,
  invokePayloads,
  parseInput,
  parseOptionalBody,
  type RequestWriteOptions,
} from '../lib/session/schema.ts';

/** POST /sessions/{userId}/clear: empties step, booking and context, keeping the session itself. */
export const handler = sessionHandler({
  name: 'clear',
  fromHttp: ({ userId, body, ifMatch, idempotencyKey }): { userId: string; options: RequestWriteOptions } => {
    parseOptionalBody(httpBodies.empty, body);
    return { userId, options: { ...ifMatch, idempotencyKey } };
  },
  fromInvoke: (payload) => {
    const { userId, ...options } = parseInput(invokePayloads.clear, payload);
    return { userId, options };
  },
  run: ({ userId, options }, sessions) => sessions.applyClear(userId, options),
  toHttp: ({ session, replayed }) => ({ status: 200, session, replayed }),
  toInvoke: ({ session, replayed }) => ({ ok: true, session, ...(replayed ? { replayed } : {}) }),
});
