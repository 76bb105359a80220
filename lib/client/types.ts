/**
 * The shapes the clients send and receive, spelled out so that the package's type declarations stand
 * alone: no zod, no path into the service. tests/unit/client/types.test.ts checks that each one is
 * exactly the type the service's schema (lib/session/schema.ts) and model (lib/session/session.ts) infer.
 */

export type Source = 'Website' | 'Chatbot';

/** A stored booking: every field optional. */
export interface Booking {
  service?: string;
  /** YYYY-MM-DD, a real date. */
  date?: string;
  /** HH:MM, 24-hour. */
  time?: string;
  /** 1 to 50. */
  partySize?: number;
  name?: string;
  /** E.164, such as +447700900123. */
  phone?: string;
  email?: string;
  notes?: string;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Small bot state: JSON, at most 64 top-level keys and 8 KB. */
export type Context = { [key: string]: JsonValue };

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

/** A booking patch: a value sets the field, null removes it. */
export type BookingPatch = { [K in keyof Booking]?: Booking[K] | null };

/**
 * What an update may change: each given booking field and top-level context key is set, or removed by
 * null; `step` is set, or cleared by null; a whole field given as null empties it. At least one field.
 */
export interface Patch {
  step?: string | null;
  booking?: BookingPatch | null;
  context?: Context | null;
}

/** The fields of a session that identify the state a caller saw: a write conditioned on them. */
export type SessionRef = Pick<Session, 'userId' | 'sessionId' | 'version'>;
