import { ValidationError } from '../lib/errors.ts';
import { sessionHandler } from '../lib/handlers/session-handler.ts';
import {
  httpBodies,
  invokePayloads,
  parseInput,
  parseOptionalBody,
  type RequestWriteOptions,
  type Source,
} from '../lib/session/schema.ts';

/** PUT /sessions/{userId}: the user's live session, created when there is none (201) or returned (200). */
export const handler = sessionHandler({
  name: 'createOrGet',
  fromHttp: ({
    userId,
    body,
    ifMatch,
    idempotencyKey,
  }): { userId: string; source: Source; options: RequestWriteOptions } => {
    // A precondition on "create or return" has no useful meaning; refused rather than silently ignored.
    if (ifMatch !== undefined) {
      throw new ValidationError('If-Match is not supported on PUT', {
        details: [{ path: 'If-Match', message: 'is not supported on PUT' }],
      });
    }
    return {
      userId,
      source: parseOptionalBody(httpBodies.createOrGet, body).source ?? 'Website',
      options: { idempotencyKey },
    };
  },
  fromInvoke: (payload) => {
    const { userId, source, ...options } = parseInput(invokePayloads.createOrGet, payload);
    return { userId, source: source ?? 'Chatbot', options };
  },
  run: ({ userId, source, options }, sessions) => sessions.createOrGet(userId, source, options),
  toHttp: ({ session, created, replayed }) =>
    created
      ? {
          status: 201,
          session,
          replayed,
          headers: {
            Location: `/sessions/${encodeURIComponent(session.userId)}`,
          },
        }
      : { status: 200, session, replayed },
  toInvoke: ({ session, created, replayed }) => ({
    ok: true,
    session,
    created,
    ...(replayed ? { replayed } : {}),
  }),
});
