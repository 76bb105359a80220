/**
 * What a client knows about a session it returned, kept beside the object so that the Session type
 * stays the service's: whether it came from a replay, and the entity tag the HTTP API sent with it.
 */
import type { Session, SessionRef } from './types.ts';

const replays = new WeakSet<Session>();
const entityTags = new WeakMap<SessionRef, string>();

/**
 * True when `session` was returned for a write that had already been applied under the same idempotency
 * key: nothing was applied again, and the session is the one the service answered the first time.
 */
export function wasReplayed(session: Session): boolean {
  return replays.has(session);
}

export function markReplayed(session: Session): void {
  replays.add(session);
}

export function holdEntityTag(session: Session, tag: string): void {
  entityTags.set(session, tag);
}

/** The entity tag the HTTP API sent with this session, or undefined for a session it did not send. */
export function heldEntityTag(session: SessionRef): string | undefined {
  return entityTags.get(session);
}
