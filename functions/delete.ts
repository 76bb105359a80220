import { NotFoundError } from '../lib/errors.ts';
import { sessionHandler } from '../lib/handlers/session-handler.ts';
import {
  httpBodies,
  invokePayloads,
  parseInput,
  parseOptionalBody,
  type RequestWriteOptions,
} from '../lib/session/schema.ts';

/** DELETE /sessions/{userId}: removes the live session (204), or 404 when there is none. */
export const handler = sessionHandler({
  name: 'delete',
  fromHttp: ({ userId, body, ifMatch, idempotencyKey }): { userId: string; options: RequestWriteOptions } => {
    parseOptionalBody(httpBodies.empty, body);
    return { userId, options: { ...ifMatch, idempotencyKey } };
  },
  fromInvoke: (payload) => {
    const { userId, ...options } = parseInput(invokePayloads.delete, payload);
    return { userId, options };
  },
  run: async ({ userId, options }, sessions) => {
    const outcome = await sessions.applyDelete(userId, options);
    if (!outcome.deleted) throw new NotFoundError('session not found');
    return outcome;
  },
  toHttp: ({ replayed }) => ({ status: 204, replayed }),
  toInvoke: ({ replayed }) => ({ ok: true, deleted: true, ...(replayed ? { replayed } : {}) }),
});
