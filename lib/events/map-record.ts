/**
 * A DynamoDB stream record of the sessions table → the events it means: zero, one or two. Pure: same
 * record, same events, ids included, so a record delivered twice publishes the same events twice and a
 * consumer drops the second by `eventId`.
 */
import { createHash } from 'node:crypto';
import type { Booking, BookingField } from '../session/schema.ts';
import {
  BOOKING_FIELDS,
  DETAIL_TYPES,
  type DetailBase,
  type DetailType,
  type PreviousData,
  type SessionEvent,
} from './session-events.ts';
import {
  classifyRemoval,
  decodeImage,
  isTtlRemoval,
  onlyActivityChanged,
  type StoredSession,
  type StreamImage,
} from './stored-image.ts';

/** The fields of a stream record (as Lambda delivers it) that the mapping reads. */
export interface StreamRecord {
  eventID?: string | undefined;
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | undefined;
  dynamodb?:
    | {
        /** Epoch seconds, rounded down by DynamoDB. */
        ApproximateCreationDateTime?: number | undefined;
        NewImage?: StreamImage | undefined;
        OldImage?: StreamImage | undefined;
        SequenceNumber?: string | undefined;
      }
    | undefined;
  userIdentity?: unknown;
}

export interface MappingOptions {
  /** The stage's `eventsIncludeBooking`: booking values in events. Otherwise only field names. */
  includeBooking: boolean;
  /** The service's inactivity window in milliseconds: tells an expiry from an erasure. */
  inactiveMs: number;
}

/** Thrown for a record the mapping cannot read (no id, no image where one is due). */
export class UnreadableRecordError extends Error {
  override readonly name = 'UnreadableRecordError';
}

/** 32 hex digits of SHA-256 over the stream record's id and the detail type. */
export function eventIdOf(streamEventId: string, detailType: DetailType): string {
  return createHash('sha256').update(`${streamEventId}\n${detailType}`).digest('hex').slice(0, 32);
}

const setFields = (booking: Booking): BookingField[] =>
  BOOKING_FIELDS.filter((field) => booking[field] !== undefined && booking[field] !== null);

const isEmpty = (session: StoredSession) =>
  session.step === null &&
  setFields(session.booking).length === 0 &&
  Object.keys(session.context).length === 0;

/** Only the fields in BOOKING_FIELDS, in their order: nothing else a stored booking may hold leaks out. */
function bookingValues(booking: Booking): Booking {
  return Object.fromEntries(setFields(booking).map((field) => [field, booking[field]])) as Booking;
}

/** The events of one stream record, in the order they happened. */
export function eventsOf(record: StreamRecord, options: MappingOptions): SessionEvent[] {
  const streamEventId = record.eventID;
  if (!streamEventId) throw new UnreadableRecordError('the record has no eventID');
  const image = (which: 'NewImage' | 'OldImage') => {
    const raw = record.dynamodb?.[which];
    if (raw === undefined) throw new UnreadableRecordError(`the ${record.eventName} record has no ${which}`);
    return decodeImage(raw);
  };
  const base = (session: StoredSession, detailType: DetailType, time: string): DetailBase => ({
    eventId: eventIdOf(streamEventId, detailType),
    userId: session.userId,
    sessionId: session.sessionId,
    version: session.version,
    time,
  });
  const previous = (session: StoredSession): PreviousData => ({
    previousStep: session.step,
    previousBookingFields: setFields(session.booking),
    ...(options.includeBooking ? { previousBooking: bookingValues(session.booking) } : {}),
  });
  const created = (session: StoredSession): SessionEvent => ({
    detailType: DETAIL_TYPES.created,
    detail: { ...base(session, DETAIL_TYPES.created, session.createdAt), source: session.source },
  });
  const expired = (session: StoredSession, time: string): SessionEvent => ({
    detailType: DETAIL_TYPES.expired,
    detail: {
      ...base(session, DETAIL_TYPES.expired, time),
      lastActivityAt: session.updatedAt,
      ...previous(session),
    },
  });

  switch (record.eventName) {
    case 'INSERT': {
      const after = image('NewImage');
      return after.deletedAt === undefined ? [created(after)] : [];
    }
    case 'MODIFY': {
      const before = image('OldImage');
      const after = image('NewImage');
      if (after.sessionId !== before.sessionId) {
        // A new lifetime replaced an expired session or a tombstone (create-or-get): the tombstone's
        // delete was published when it was made; an expired session ends here unless the sweep came first.
        const ended = before.deletedAt === undefined ? [expired(before, after.createdAt)] : [];
        return after.deletedAt === undefined ? [...ended, created(after)] : ended;
      }
      if (onlyActivityChanged(before, after) || before.deletedAt !== undefined) return [];
      if (after.deletedAt !== undefined) {
        return [
          {
            detailType: DETAIL_TYPES.deleted,
            detail: { ...base(before, DETAIL_TYPES.deleted, after.deletedAt), ...previous(before) },
          },
        ];
      }
      return changesOf(before, after);
    }
    case 'REMOVE': {
      const before = image('OldImage');
      const seconds = record.dynamodb?.ApproximateCreationDateTime;
      if (typeof seconds !== 'number') throw new UnreadableRecordError('the record has no creation time');
      const removedAt = new Date(seconds * 1000);
      const removal = classifyRemoval(before, {
        removedAt,
        byTtl: isTtlRemoval(record.userIdentity),
        inactiveMs: options.inactiveMs,
      });
      const time = removedAt.toISOString();
      if (removal === 'expired') return [expired(before, time)];
      if (removal === 'erased') {
        return [{ detailType: DETAIL_TYPES.erased, detail: base(before, DETAIL_TYPES.erased, time) }];
      }
      return [];
    }
    default:
      throw new UnreadableRecordError(`unknown eventName ${String(record.eventName)}`);
  }

  /** A write within one lifetime: a clear, or the step and booking changes an update made. */
  function changesOf(before: StoredSession, after: StoredSession): SessionEvent[] {
    const time = after.updatedAt;
    if (isEmpty(after) && !isEmpty(before)) {
      return [
        {
          detailType: DETAIL_TYPES.cleared,
          detail: { ...base(after, DETAIL_TYPES.cleared, time), ...previous(before) },
        },
      ];
    }
    const events: SessionEvent[] = [];
    if (after.step !== before.step) {
      events.push({
        detailType: DETAIL_TYPES.stepChanged,
        detail: {
          ...base(after, DETAIL_TYPES.stepChanged, time),
          previousStep: before.step,
          step: after.step,
        },
      });
    }
    const changedFields = BOOKING_FIELDS.filter((field) => before.booking[field] !== after.booking[field]);
    if (changedFields.length > 0) {
      events.push({
        detailType: DETAIL_TYPES.bookingChanged,
        detail: {
          ...base(after, DETAIL_TYPES.bookingChanged, time),
          changedFields,
          bookingFields: setFields(after.booking),
          ...(options.includeBooking ? { booking: bookingValues(after.booking) } : {}),
        },
      });
    }
    return events;
  }
}
