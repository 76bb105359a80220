import { ValidationError } from '../lib/errors.ts';
import { sessionHandler } from '../lib/handlers/session-handler.ts';
import { invokePayloads, parseInput } from '../lib/session/schema.ts';

/**
 * Direct invocation only (operators and the chatbot answering an access request): one JSON document of
 * everything stored about a user. Not routed over HTTP; an HTTP event is refused.
 */
const notOverHttp = (): never => {
  throw new ValidationError('export is offered by direct invocation only');
};

export const handler = sessionHandler({
  name: 'exportUser',
  fromHttp: notOverHttp,
  fromInvoke: (payload) => parseInput(invokePayloads.exportUser, payload),
  run: ({ userId }, sessions) => sessions.exportUser(userId),
  toHttp: notOverHttp,
  toInvoke: (document) => ({ ok: true, export: document }),
});
