/**
 * The events the service publishes: their source, detail types and details. docs/EVENTS.md describes
 * them, and docs/events.schema.json is their contract (tests/unit/events/ checks every emitted event).
 */
import type { Booking, BookingField, Source } from '../session/schema.ts';

export const EVENT_SOURCE = 'session-service';

export const DETAIL_TYPES = {
  created: 'Session Created',
  cleared: 'Session Cleared',
  deleted: 'Session Deleted',
  expired: 'Session Expired',
  erased: 'Session Erased',
  bookingChanged: 'Booking Changed',
  stepChanged: 'Step Changed',
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** Every booking field, in the order events list them. */
export const BOOKING_FIELDS = [
  'service',
  'date',
  'time',
  'partySize',
  'name',
  'phone',
  'email',
  'notes',
] as const satisfies readonly BookingField[];

/** What every detail holds. */
export interface DetailBase {
  /** Derived from the stream record and the detail type: the same change always has the same id. */
  eventId: string;
  userId: string;
  sessionId: string;
  /** The session's version after the change (for an ended session: its last version). */
  version: number;
  /** When the change happened (ISO 8601). */
  time: string;
}

/** The session's data before a change that emptied or ended it. */
export interface PreviousData {
  previousStep: string | null;
  /** The booking fields that were set; never their values. */
  previousBookingFields: BookingField[];
  /** Their values: only when the stage's `eventsIncludeBooking` is true. */
  previousBooking?: Booking;
}

export interface CreatedDetail extends DetailBase {
  source: Source;
}

export interface StepChangedDetail extends DetailBase {
  previousStep: string | null;
  step: string | null;
}

export interface BookingChangedDetail extends DetailBase {
  /** Fields set, changed or removed by the write. */
  changedFields: BookingField[];
  /** Fields set after the write. */
  bookingFields: BookingField[];
  /** The booking after the write: only when `eventsIncludeBooking` is true. */
  booking?: Booking;
}

export type ClearedDetail = DetailBase & PreviousData;
export type DeletedDetail = DetailBase & PreviousData;

export interface ExpiredDetail extends DetailBase, PreviousData {
  /** The session's last activity: it expired one inactivity window later. */
  lastActivityAt: string;
}

/** An erased session's event says who and which session, and nothing of what it held. */
export type ErasedDetail = DetailBase;

export type SessionEvent =
  | { detailType: typeof DETAIL_TYPES.created; detail: CreatedDetail }
  | { detailType: typeof DETAIL_TYPES.stepChanged; detail: StepChangedDetail }
  | { detailType: typeof DETAIL_TYPES.bookingChanged; detail: BookingChangedDetail }
  | { detailType: typeof DETAIL_TYPES.cleared; detail: ClearedDetail }
  | { detailType: typeof DETAIL_TYPES.deleted; detail: DeletedDetail }
  | { detailType: typeof DETAIL_TYPES.expired; detail: ExpiredDetail }
  | { detailType: typeof DETAIL_TYPES.erased; detail: ErasedDetail };
