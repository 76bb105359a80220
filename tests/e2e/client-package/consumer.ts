// A consumer of the installed package: both clients, the typed errors and the types, from the package's name.
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  type MutateResult,
  type Patch,
  type Session,
  SessionClient,
  SessionHttpClient,
  type SessionServiceError,
  VersionConflictError,
  wasReplayed,
} from '@session-service/client';

const chatbot = new SessionClient({ lambda: new LambdaClient({}), stage: 'prod' });
// The platform's fetch is what the client calls by default; passing it is allowed too.
const website = new SessionHttpClient({
  baseUrl: 'https://api.example.com',
  getToken: async () => 'token',
  fetch,
});

export async function turn(userId: string, messageId: string): Promise<MutateResult> {
  const { session, created } = await chatbot.createOrGet(userId);
  const patch: Patch = { step: created ? 'greet' : 'pick_time', booking: { partySize: 2, notes: null } };
  await chatbot.update(session, patch, { idempotencyKey: messageId });
  return chatbot.mutate(userId, (current: Session) => ({ context: { turns: current.version } }), {
    idempotencyKey: messageId,
    attempts: 3,
  });
}

export async function click(userId: string): Promise<string> {
  const held = await website.getSession(userId);
  if (!held) return 'none';
  try {
    const updated = await website.update(held, { context: { page: 'summary' } });
    await website.clear(userId, { expectedVersion: updated.version, expectedSessionId: updated.sessionId });
    return wasReplayed(updated) ? 'replayed' : 'applied';
  } catch (error) {
    if (error instanceof VersionConflictError) return (error as SessionServiceError).code;
    throw error;
  }
}
