import { NotFoundError } from '../lib/errors.ts';
import { httpBodies, invokePayloads, parseInput, parseOptionalBody } from '../lib/schema.ts';
import { sessionHandler } from '../lib/session-handler.ts';

/** DELETE /sessions/{userId}: removes the live session (204), or 404 when there is none. */
export const handler = sessionHandler({
  name: 'delete',
  fromHttp: ({ userId, body, expectedVersion }) => {
    parseOptionalBody(httpBodies.empty, body);
    return { userId, expectedVersion };
  },
  fromInvoke: (payload) => parseInput(invokePayloads.delete, payload),
  run: async ({ userId, expectedVersion }, sessions) => {
    if (!(await sessions.delete(userId, { expectedVersion }))) throw new NotFoundError('session not found');
    return true;
  },
  toHttp: () => ({ status: 204 }),
  toInvoke: () => ({ ok: true, deleted: true }),
});
