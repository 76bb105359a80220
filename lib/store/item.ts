/**
 * The stored item: its attributes, its `schemaVersion` and the one way to read it. A name shared with
 * the API's `Session` means the same thing here (`updatedAt` is the exact last activity in both); the
 * attributes only the store uses have names of their own.
 */
import { ItemVersionError } from '../errors.ts';
import type { Booking, Context, Source } from '../session/schema.ts';
import type { Session } from '../session/session.ts';
import { DAY_MS } from './clock.ts';

/** The shape this version of the service writes. */
export const SCHEMA_VERSION = 1;

/** A session as stored (schemaVersion 1). Register slots (`k0`…, `r0`…) are described in write-register.ts. */
export interface SessionItem {
  userId: string;
  schemaVersion: number;
  sessionId: string;
  source: Source;
  version: number;
  createdAt: string;
  /** The exact last activity, as in the API. */
  updatedAt: string;
  step: string | null;
  booking: Booking;
  context: Context;
  /** The `byUpdatedAt` index's partition key: the user's shard under the shard count of the last write. */
  activityShard: number;
  /**
   * The `byUpdatedAt` index's sort key: the start of the activity bucket holding `updatedAt`, in epoch
   * milliseconds. Within one bucket a write leaves it unchanged, so the index entry does not move.
   */
  updatedBucket: number;
  /** Epoch seconds at which DynamoDB's TTL may remove the item: a backstop for the sweep, and a tombstone's end. */
  purgeAt: number;
  /** Set on a tombstone: a deleted session, kept without its data while its write registers are needed. */
  deletedAt?: string;
}

/**
 * A tombstone of a plain delete drops the session's data. It keeps the key, the identity fields (the
 * sessionId tells a create-or-get retried after the delete that it created that session), the
 * registers and the index placement, until TTL removes it.
 */
export const TOMBSTONE_REMOVES = ['step', 'booking', 'context'] as const;

/**
 * One step of the stored shape, from version `n` to `n + 1`, applied in memory on read; the next write
 * stores the new shape. Empty: version 1 is the first shape.
 */
export type UpgradeStep = (item: Record<string, unknown>) => Record<string, unknown>;
const UPGRADES: readonly UpgradeStep[] = [];

/**
 * The item as this version reads it: older shapes are upgraded one step at a time, and an item of a
 * newer shape than `upgrades` reaches, or of none, is refused rather than misread.
 */
export function readItem(
  raw: Record<string, unknown>,
  upgrades: readonly UpgradeStep[] = UPGRADES,
  firstVersion = SCHEMA_VERSION - upgrades.length,
): SessionItem {
  const current = firstVersion + upgrades.length;
  const version = raw.schemaVersion;
  if (
    typeof version !== 'number' ||
    !Number.isInteger(version) ||
    version < firstVersion ||
    version > current
  ) {
    throw new ItemVersionError(
      `the stored session has schemaVersion ${String(version)}; this version of the service reads ${firstVersion} to ${current}`,
    );
  }
  let item = raw;
  for (let step = version; step < current; step++) {
    const upgrade = upgrades[step - firstVersion];
    if (upgrade !== undefined) item = { ...upgrade(item), schemaVersion: step + 1 };
  }
  return item as unknown as SessionItem;
}

/** Whether the item is a session still live at `cutoff`: not a tombstone, and active since. */
export function isLive(item: SessionItem, cutoff: string): boolean {
  return item.deletedAt === undefined && item.updatedAt >= cutoff;
}

/** The public fields of a stored session, in a stable order; storage-only attributes never reach a caller. */
export function toSession(item: SessionItem, inactiveDays: number): Session {
  return {
    userId: item.userId,
    sessionId: item.sessionId,
    source: item.source,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    expiresAt: new Date(Date.parse(item.updatedAt) + inactiveDays * DAY_MS).toISOString(),
    step: item.step ?? null,
    booking: item.booking ?? {},
    context: item.context ?? {},
  };
}
