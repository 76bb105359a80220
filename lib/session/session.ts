import type { Booking, Context, Source } from './schema.ts';

/** A session as callers see it. */
export interface Session {
  userId: string;
  sessionId: string;
  source: Source;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  step: string | null;
  booking: Booking;
  context: Context;
}

/**
 * A session as stored: the public fields plus the index shard, the TTL backstop, `deletedAt` on a
 * tombstone, and the write registers `w0`…`w20` (keyed writes) and `r0`…`r7` (unkeyed ones; see
 * lib/store/write-register.ts). Items written before the registers existed may still hold `lastWriteId`; every
 * write removes it.
 */
export interface SessionItem extends Session {
  /**
   * Stored, `updatedAt` is the start of the activity bucket (the index's sort key) and this is the exact
   * last activity. Items written before the bucket existed lack it and hold the exact time in `updatedAt`.
   */
  updatedAtExact?: string;
  activityShard: number;
  purgeAt: number;
  deletedAt?: string;
  lastWriteId?: string;
}

/** The public fields of a stored item, in a stable order; storage-only attributes never reach a caller. */
export function toSession(item: Record<string, unknown>): Session {
  const stored = item as unknown as SessionItem;
  return {
    userId: stored.userId,
    sessionId: stored.sessionId,
    source: stored.source,
    version: stored.version,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAtExact ?? stored.updatedAt,
    expiresAt: stored.expiresAt,
    step: stored.step ?? null,
    booking: stored.booking ?? {},
    context: stored.context ?? {},
  };
}
