import type { Booking, Context, Source } from './schema.ts';

/** A session as callers see it. */
export interface Session {
  userId: string;
  sessionId: string;
  source: Source;
  version: number;
  createdAt: string;
  /** The exact time of the last activity (any write, or a create-or-get that found the session). */
  updatedAt: string;
  /** When the session stops being live if nothing else happens: `updatedAt` plus the inactivity window. */
  expiresAt: string;
  step: string | null;
  booking: Booking;
  context: Context;
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
