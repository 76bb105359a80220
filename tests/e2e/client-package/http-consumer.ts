// The browser's entry point alone, type-checked with its declarations (skipLibCheck off), without the
// DOM or Node types: the declarations stand on their own.
import {
  NotFoundError,
  type Session,
  SessionHttpClient,
  type SessionHttpClientOptions,
  wasReplayed,
} from '@session-service/client/http';

const options: SessionHttpClientOptions = {
  baseUrl: 'https://api.example.com',
  getToken: () => Promise.resolve('token'),
  resend: { attempts: 2 },
};
const website = new SessionHttpClient(options);

export async function load(userId: string): Promise<Session | undefined> {
  try {
    const { session, replayed } = await website.createOrGet(userId, 'Website', {
      idempotencyKey: 'page-load-1',
    });
    return replayed || wasReplayed(session) ? session : website.getSession(userId);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
