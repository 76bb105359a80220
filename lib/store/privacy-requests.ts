/**
 * Pure builders of the requests behind a user's privacy rights (erase, export), and the one function that
 * reads a stored item into the export document. They send nothing; `SessionRepository` sends them.
 */
import type { DeleteCommandInput, GetCommandInput } from '@aws-sdk/lib-dynamodb';
import type { UserExport } from '../session/session.ts';
import { isLive, readItem, toSession } from './item.ts';
import { recordedCounts } from './write-register.ts';

/**
 * Removes the user's item whatever it holds (a session, live or expired, or a tombstone) and with it the
 * write registers and the `byUpdatedAt` index entry. No condition: a second erase finds nothing and
 * succeeds the same. `ALL_OLD` tells whether anything was there.
 */
export function eraseRequest(table: string, userId: string): DeleteCommandInput {
  return { TableName: table, Key: { userId }, ReturnValues: 'ALL_OLD' };
}

/** A strongly consistent read of the whole item: an export must not miss a write it was told of. */
export function exportRequest(table: string, userId: string): GetCommandInput {
  return { TableName: table, Key: { userId }, ConsistentRead: true };
}

/** An epoch-seconds TTL attribute as an ISO time; undefined when absent or malformed. */
function ttlTime(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value)
    ? new Date(value * 1000).toISOString()
    : undefined;
}

/**
 * The export document of a stored item (undefined: nothing stored), read through the store's `readItem`
 * like every other read. `cutoff` decides whether the session is still live.
 */
export function exportOfItem(
  userId: string,
  raw: Record<string, unknown> | undefined,
  inactiveDays: number,
  cutoff: string,
): UserExport {
  if (raw === undefined) {
    return { userId, session: null, tombstone: null, rememberedWriteIds: { keyed: 0, unkeyed: 0 } };
  }
  const item = readItem(raw);
  const purgeAt = ttlTime(item.purgeAt) ?? '';
  const deletedAt = item.deletedAt;
  return {
    userId,
    session:
      deletedAt === undefined
        ? { ...toSession(item, inactiveDays), live: isLive(item, cutoff), purgeAt }
        : null,
    tombstone: deletedAt === undefined ? null : { deletedAt, purgeAt },
    rememberedWriteIds: recordedCounts(raw),
  };
}
