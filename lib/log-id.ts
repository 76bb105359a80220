/**
 * The pseudonym of a user in the logs: a keyed hash of the user id, so an operator holding the key (and
 * nobody else) can find one person's lines, and no line carries the id, often a phone number, itself.
 */
import { createHmac } from 'node:crypto';

/**
 * 20 hex characters, 80 bits of HMAC-SHA256. Enough that two users sharing one among a billion ids is
 * about 4 in 10 million likely (and would only make a search return both users' lines); short enough to
 * cost little on every line. Without the key, a truncated HMAC tells nothing about the id: trying every
 * phone number needs the key.
 */
export const LOG_ID_CHARS = 20;

/**
 * The key the local stack and the tests use. Public on purpose: it must never protect real users, and
 * `loadConfig` refuses it anywhere but against a local DynamoDB.
 */
export const DEVELOPMENT_LOG_ID_KEY = 'session-service-development-log-id-key-not-secret';

/** The shortest key accepted: 32 characters, the 256 bits a random HMAC-SHA256 key should carry. */
export const MIN_LOG_ID_KEY_CHARS = 32;

/** The value that stands for `userId` in every log line, under the stage's key. */
export function logIdOf(userId: string, key: string): string {
  return createHmac('sha256', key).update(userId, 'utf8').digest('hex').slice(0, LOG_ID_CHARS);
}
