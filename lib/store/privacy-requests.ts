/**
 * Pure builders of the requests behind a user's privacy rights (erase, export), and the one function that
 * reads a stored item into the export document. They send nothing; `SessionRepository` sends them.
 */
import type { DeleteCommandInput, GetCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Session, toSession } from '../session/session.ts';
import { KEY_REGISTER, RETRY_REGISTER } from './write-register.ts';

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

/** Everything the service holds about one user, as JSON. Write ids are counted, never shown. */
export interface UserExport {
  userId: string;
  /** The session's fields and timestamps, or null when none is stored (none, or only a tombstone). */
  session: (Session & { live: boolean; purgeAt: string }) | null;
  /** What a delete leaves: when the session was deleted and when the tombstone is removed. */
  tombstone: { deletedAt: string; purgeAt: string } | null;
  /** How many ids of earlier writes the item remembers, per register (keyed and unkeyed writes). */
  rememberedWriteIds: { keyed: number; unkeyed: number };
}

/** An epoch-seconds TTL attribute as an ISO time; undefined when absent or malformed. */
function ttlTime(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value)
    ? new Date(value * 1000).toISOString()
    : undefined;
}

/** Register slots that hold an entry (a string today, binary in later item formats). */
function filledSlots(item: Record<string, unknown>, register: readonly string[]): number {
  return register.filter((name) => item[name] !== undefined && item[name] !== null).length;
}

/**
 * The export document of a stored item (undefined: nothing stored). The only code that knows the item's
 * layout for an export: when the stored format changes, this function changes with it. `isLive` is the
 * repository's own liveness rule (inactivity window and clock).
 */
export function exportOfItem(
  userId: string,
  item: Record<string, unknown> | undefined,
  isLive: (item: Record<string, unknown>) => boolean,
): UserExport {
  if (item === undefined) {
    return { userId, session: null, tombstone: null, rememberedWriteIds: { keyed: 0, unkeyed: 0 } };
  }
  const purgeAt = ttlTime(item.purgeAt) ?? '';
  const deletedAt = item.deletedAt;
  return {
    userId,
    session: typeof deletedAt === 'string' ? null : { ...toSession(item), live: isLive(item), purgeAt },
    tombstone: typeof deletedAt === 'string' ? { deletedAt, purgeAt } : null,
    rememberedWriteIds: {
      keyed: filledSlots(item, KEY_REGISTER),
      unkeyed: filledSlots(item, RETRY_REGISTER),
    },
  };
}
