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
