import { ValidationError } from '../lib/errors.ts';
import { sessionHandler } from '../lib/handlers/session-handler.ts';
import {
  httpBodies,
  invokePayloads,
  parseInput,
  parseOptionalBody,
  type RequestWriteOptions,
} from '../lib/session/schema.ts';

/**
 * POST /sessions/{userId}/erase: removes everything stored about the user at once, tombstone and write
 * registers included, and answers 204 whether or not anything was there: a repeat is the same success.
 */
export const handler = sessionHandler({
  name: 'erase',
  fromHttp: ({ userId, body, ifMatch, idempotencyKey }): { userId: string; options: RequestWriteOptions } => {
    // Erase is unconditional: a precondition would suggest it could leave the data in place.
    if (ifMatch !== undefined) {
      throw new ValidationError('If-Match is not supported on erase', {
        details: [{ path: 'If-Match', message: 'is not supported on erase' }],
      });
    }
    parseOptionalBody(httpBodies.empty, body);
    return { userId, options: { idempotencyKey } };
  },
  fromInvoke: (payload) => {
    const { userId, ...options } = parseInput(invokePayloads.erase, payload);
    return { userId, options };
  },
  run: ({ userId, options }, sessions) => sessions.erase(userId, options),
  toHttp: () => ({ status: 204 }),
  // Whether an item was there is not told: the SDK's retry of a lost answer would say "nothing".
  toInvoke: () => ({ ok: true }),
});
