// Each call below is wrong, and each must be a type error: tsc fails on a @ts-expect-error that has none.
import { SessionClient, SessionHttpClient } from '@session-service/client';

const chatbot = new SessionClient();
const website = new SessionHttpClient({ baseUrl: 'https://api.example.com', getToken: () => 'token' });

export async function wrong(): Promise<void> {
  // @ts-expect-error a patch may not carry the user id
  await website.update('wa:+447700900123', { step: 'a', userId: 'wa:+440000000000' });
  // @ts-expect-error partySize is a number
  await chatbot.update('wa:+447700900123', { booking: { partySize: '2' } });
  // @ts-expect-error context holds JSON values only
  await website.update('wa:+447700900123', { context: { at: new Date() } });
  // @ts-expect-error the source is Website or Chatbot
  await chatbot.createOrGet('wa:+447700900123', 'Email');
  // @ts-expect-error over HTTP a version is a condition only with its session id
  await website.clear('wa:+447700900123', { expectedVersion: 2 });
  // @ts-expect-error the client needs a way to get the user's token
  new SessionHttpClient({ baseUrl: 'https://api.example.com' });
}
