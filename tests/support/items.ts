/**
 * Stored items as the repository writes them, for tests that seed a table directly or feed an item to
 * the repository's rare paths. tests/integration/store/session-repository.test.ts checks that a
 * create-or-get stores exactly `newSessionItem`.
 */
import type { Source } from '../../lib/session/schema.ts';
import type { ActivityTimes } from '../../lib/store/clock.ts';
import { SCHEMA_VERSION, type SessionItem } from '../../lib/store/item.ts';

/** The item a create-or-get stores for a new session at `times`. */
export function newSessionItem(
  userId: string,
  sessionId: string,
  source: Source,
  times: ActivityTimes,
): SessionItem {
  return {
    userId,
    schemaVersion: SCHEMA_VERSION,
    sessionId,
    source,
    version: 1,
    createdAt: times.updatedAt,
    updatedAt: times.updatedAt,
    step: null,
    booking: {},
    context: {},
    activityShard: times.activityShard,
    updatedBucket: times.updatedBucket,
    purgeAt: times.purgeAt,
  };
}
