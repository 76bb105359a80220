// Plain Node ESM against the local stack, with the installed package: no TypeScript anywhere.
// Prints what it saw as one JSON line. Parameters come from the environment.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SessionClient, SessionHttpClient, VersionConflictError, wasReplayed } from '@session-service/client';
import { SessionHttpClient as BrowserClient } from '@session-service/client/http';

const { HTTP_URL, HTTP_USER, HTTP_TOKEN, LAMBDA_ENDPOINT, INVOKE_USER } = process.env;

/**
 * create, a keyed update, its replay, a conflict on the stale session, a keyed mutate that another
 * write interrupts (its second attempt carries the same key), a delete, then a read.
 */
async function scenario(client, userId) {
  const created = await client.createOrGet(userId);
  const held = created.session;
  const updated = await client.update(held, { step: 'pick_time' }, { idempotencyKey: 'action-1' });
  const replay = await client.update(held, { step: 'pick_time' }, { idempotencyKey: 'action-1' });
  let conflict;
  try {
    await client.update(held, { step: 'stale' });
  } catch (error) {
    conflict = { isVersionConflict: error instanceof VersionConflictError, code: error.code };
  }
  let calls = 0;
  const mutated = await client.mutate(
    userId,
    async (current) => {
      if (calls++ === 0) await client.update(userId, { context: { other: 1 } });
      return { context: { mine: current.version } };
    },
    { idempotencyKey: 'action-2' },
  );
  const deleted = await client.delete(mutated.session);
  const after = await client.getSession(userId);
  return {
    created: { created: created.created, version: held.version },
    updated: { version: updated.version, step: updated.step, replayed: wasReplayed(updated) },
    replay: { version: replay.version, replayed: wasReplayed(replay) },
    conflict,
    mutated: { attempts: mutated.attempts, replayed: mutated.replayed, version: mutated.session.version },
    context: mutated.session.context,
    deleted,
    after: after ?? null,
  };
}

const website = new SessionHttpClient({ baseUrl: HTTP_URL, getToken: async () => HTTP_TOKEN });
const lambda = new LambdaClient({
  endpoint: LAMBDA_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const chatbot = new SessionClient({ lambda, stage: 'dev' });
try {
  const result = {
    oneHttpClientClass: BrowserClient === SessionHttpClient,
    http: await scenario(website, HTTP_USER),
    invoke: await scenario(chatbot, INVOKE_USER),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  lambda.destroy();
}
