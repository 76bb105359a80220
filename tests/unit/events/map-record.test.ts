/**
 * The mapping from stream records to events, over records recorded from moto's stream while the
 * repository made every kind of change (tests/fixtures/events/stream-records.json).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { eventIdOf, eventsOf, UnreadableRecordError } from '../../../lib/events/map-record.ts';
import { DETAIL_TYPES, type SessionEvent } from '../../../lib/events/session-events.ts';
import { EXPIRY_MARGIN_MS, TTL_PRINCIPAL, UnreadableImageError } from '../../../lib/events/stored-image.ts';
import {
  ALL_RECORDS,
  mappingOptions,
  onlyRecordOf,
  recordsOf,
  SCENARIO_NAMES,
  SCENARIOS,
} from '../../support/stream-fixtures.ts';

const map = (records: DynamoDBRecord[], includeBooking = false): SessionEvent[] =>
  records.flatMap((record) => eventsOf(record, mappingOptions(includeBooking)));

const detailTypes = (name: string) => map(recordsOf(name)).map((event) => event.detailType);
/** The detail of the one event of `type` the scenario publishes. */
const only = (name: string, type: SessionEvent['detailType']): Record<string, unknown> => {
  const events = map(recordsOf(name)).filter((event) => event.detailType === type);
  expect(events).toHaveLength(1);
  return { ...events[0]?.detail };
};

/** Moves a REMOVE record's time to `ms` after its old image's last activity. */
function removedAfter(record: DynamoDBRecord, ms: number): DynamoDBRecord {
  const copy = structuredClone(record);
  const image = copy.dynamodb?.OldImage as Record<string, { S: string } | undefined>;
  const lastActivity = Date.parse(String(image.updatedAt?.S));
  (copy.dynamodb as { ApproximateCreationDateTime: number }).ApproximateCreationDateTime = Math.floor(
    (lastActivity + ms) / 1000,
  );
  return copy;
}

const WINDOW_MS = mappingOptions().inactiveMs;

describe('eventsOf', () => {
  describe('over the recorded changes', () => {
    it.each([
      ['create', [DETAIL_TYPES.created]],
      ['refresh', []],
      ['step', [DETAIL_TYPES.stepChanged]],
      ['booking', [DETAIL_TYPES.bookingChanged]],
      ['step-and-booking', [DETAIL_TYPES.stepChanged, DETAIL_TYPES.bookingChanged]],
      ['context-only', []],
      ['same-values', []],
      ['repeated-with-key', [DETAIL_TYPES.bookingChanged]],
      ['clear', [DETAIL_TYPES.cleared]],
      ['clear-empty', []],
      ['delete', [DETAIL_TYPES.deleted]],
      ['recreate-after-delete', [DETAIL_TYPES.created]],
      ['expire-by-sweep', [DETAIL_TYPES.expired]],
      ['expire-by-ttl', [DETAIL_TYPES.expired]],
      ['replace-expired', [DETAIL_TYPES.expired, DETAIL_TYPES.created]],
      ['delete-expired', []],
      ['purge-tombstone', []],
      ['erase', [DETAIL_TYPES.erased]],
      ['erase-tombstone', [DETAIL_TYPES.erased]],
      ['shard-move', []],
    ])('%s publishes %j', (name, expected) => {
      expect(detailTypes(name)).toEqual(expected);
    });

    it('covers every recorded scenario and every detail type', () => {
      const covered = new Set(map([...ALL_RECORDS]).map((event) => event.detailType));

      expect(SCENARIO_NAMES.length).toBe(20);
      expect([...covered].sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    });

    it('leaves no stream record for a write repeated with its key: one record for two requests', () => {
      expect(recordsOf('repeated-with-key')).toHaveLength(1);
    });
  });

  describe('what each event carries', () => {
    it('Session Created: the channel, version 1, the creation time', () => {
      const detail = only('create', DETAIL_TYPES.created);

      expect(detail).toMatchObject({ userId: 'fixture:ada', source: 'Chatbot', version: 1 });
      expect(Object.keys(detail).sort()).toEqual([
        'eventId',
        'sessionId',
        'source',
        'time',
        'userId',
        'version',
      ]);
    });

    it('Step Changed: the old and the new step', () => {
      expect(only('step', DETAIL_TYPES.stepChanged)).toMatchObject({
        previousStep: null,
        step: 'choose-service',
      });
      expect(only('step-and-booking', DETAIL_TYPES.stepChanged)).toMatchObject({
        previousStep: 'choose-service',
        step: 'confirm',
      });
    });

    it('Booking Changed: the fields set, changed or removed, and the fields set after, not their values', () => {
      const detail = only('step-and-booking', DETAIL_TYPES.bookingChanged);

      expect(detail.changedFields).toEqual(['time', 'phone']);
      expect(detail.bookingFields).toEqual(['service', 'date', 'time', 'name']);
      expect(detail).not.toHaveProperty('booking');
    });

    it('Session Cleared and Session Deleted: the step and the booking fields the session held', () => {
      expect(only('clear', DETAIL_TYPES.cleared)).toMatchObject({
        previousStep: 'confirm',
        previousBookingFields: ['service', 'date', 'time', 'name', 'email'],
      });
      expect(only('delete', DETAIL_TYPES.deleted)).toMatchObject({
        userId: 'fixture:grace',
        previousStep: 'choose-date',
        previousBookingFields: ['service', 'partySize'],
      });
    });

    it('Session Expired: the last activity, a window before the removal, and what the session held', () => {
      const detail = only('expire-by-sweep', DETAIL_TYPES.expired);

      expect(Date.parse(String(detail.time)) - Date.parse(String(detail.lastActivityAt))).toBeGreaterThan(
        WINDOW_MS,
      );
      expect(detail).toMatchObject({
        previousStep: 'choose-time',
        previousBookingFields: ['service', 'date'],
      });
    });

    it('a replaced expired session ends (its own id) before the new one starts (a new id)', () => {
      const [expired, created] = map(recordsOf('replace-expired'));

      expect(expired?.detailType).toBe(DETAIL_TYPES.expired);
      expect(created?.detailType).toBe(DETAIL_TYPES.created);
      expect(expired?.detail.sessionId).not.toBe(created?.detail.sessionId);
      expect(created?.detail.version).toBe(1);
    });

    it('Session Erased: who and which session, nothing of what it held', () => {
      const detail = only('erase', DETAIL_TYPES.erased);

      expect(Object.keys(detail).sort()).toEqual(['eventId', 'sessionId', 'time', 'userId', 'version']);
    });

    it('booking values only when eventsIncludeBooking is true', () => {
      const [, booking] = map(recordsOf('step-and-booking'), true);
      const [cleared] = map(recordsOf('clear'), true);

      expect(booking?.detail).toMatchObject({
        booking: { service: 'haircut', date: '2026-12-24', time: '10:30', name: 'Ada Lovelace' },
      });
      expect(cleared?.detail).toMatchObject({ previousBooking: { email: 'ada@example.com' } });
      expect(map(recordsOf('erase'), true)[0]?.detail).not.toHaveProperty('previousBooking');
    });
  });

  describe('event ids', () => {
    it('are the same for the same record mapped twice (a redelivery)', () => {
      expect(map(recordsOf('replace-expired'))).toEqual(map(recordsOf('replace-expired')));
    });

    it('differ across records and across the detail types of one record', () => {
      const ids = map([...ALL_RECORDS]).map((event) => event.detail.eventId);

      expect(new Set(ids).size).toBe(ids.length);
    });

    it('are SHA-256 of the stream eventID and the detail type', () => {
      const record = onlyRecordOf('create');
      const [event] = map([record]);

      expect(event?.detail.eventId).toBe(eventIdOf(record.eventID as string, DETAIL_TYPES.created));
      expect(event?.detail.eventId).toMatch(/^[0-9a-f]{32}$/);
    });
  });

  describe('telling an expiry from an erasure (a REMOVE)', () => {
    const live = onlyRecordOf('erase');
    const tombstone = onlyRecordOf('erase-tombstone');

    it.each([
      ['a live item inactive for the whole window', live, WINDOW_MS + 1_000, [DETAIL_TYPES.expired]],
      [
        'a live item within the margin of the window',
        live,
        WINDOW_MS - EXPIRY_MARGIN_MS + 1_000,
        [DETAIL_TYPES.expired],
      ],
      [
        'a live item short of the window by more than the margin',
        live,
        WINDOW_MS - 2 * EXPIRY_MARGIN_MS,
        [DETAIL_TYPES.erased],
      ],
      ['a live item active a second ago', live, 1_000, [DETAIL_TYPES.erased]],
      ['an old tombstone (the delete was published)', tombstone, WINDOW_MS + 1_000, []],
      ['a recent tombstone', tombstone, 1_000, [DETAIL_TYPES.erased]],
    ])('%s', (_name, record, ageMs, expected) => {
      expect(map([removedAfter(record, ageMs)]).map((event) => event.detailType)).toEqual(expected);
    });

    it('a removal by TTL is an expiry whatever the age', () => {
      const byTtl = { ...removedAfter(live, 1_000), userIdentity: { ...TTL_PRINCIPAL } };

      expect(map([byTtl]).map((event) => event.detailType)).toEqual([DETAIL_TYPES.expired]);
    });

    it('a removal by TTL of a tombstone publishes nothing', () => {
      const byTtl = { ...removedAfter(tombstone, 1_000), userIdentity: { ...TTL_PRINCIPAL } };

      expect(map([byTtl])).toEqual([]);
    });
  });

  describe('records it cannot read', () => {
    const modify = onlyRecordOf('step');

    it.each([
      ['no eventID', { ...modify, eventID: undefined }, UnreadableRecordError],
      [
        'a MODIFY without its old image',
        { ...modify, dynamodb: { ...modify.dynamodb, OldImage: undefined } },
        UnreadableRecordError,
      ],
      ['an unknown eventName', { ...modify, eventName: 'TRUNCATE' }, UnreadableRecordError],
      [
        'a REMOVE without its time',
        {
          ...onlyRecordOf('erase'),
          dynamodb: { ...onlyRecordOf('erase').dynamodb, ApproximateCreationDateTime: undefined },
        },
        UnreadableRecordError,
      ],
      [
        'an image without a version',
        { ...modify, dynamodb: { ...modify.dynamodb, NewImage: { userId: { S: 'u' } } } },
        UnreadableImageError,
      ],
    ])('throws on %s', (_name, record, error) => {
      expect(() => eventsOf(record as DynamoDBRecord, mappingOptions())).toThrow(error);
    });
  });

  it('reads every fixture scenario the recorder wrote, with a description', () => {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      expect(scenario.description, name).not.toBe('');
    }
  });
});
