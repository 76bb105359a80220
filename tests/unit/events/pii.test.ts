/**
 * Booking values never reach an event unless the stage says so: for any booking, before and after any
 * recorded kind of change, an event without eventsIncludeBooking holds none of its values.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventsOf } from '../../../lib/events/map-record.ts';
import { propertyParameters, propertyTimeout } from '../../support/fuzz-parameters.ts';
import { ALL_RECORDS, mappingOptions, onlyRecordOf } from '../../support/stream-fixtures.ts';

/**
 * Marks every generated booking text: no other field of an event can hold this character (ids, times
 * and steps have narrow alphabets), so finding it in an event means a booking value leaked.
 */
const MARK = '\u2063';
const marked = (arbitrary: fc.Arbitrary<string>) => arbitrary.map((text) => `${MARK}${text}`);

const booking = fc.record(
  {
    service: marked(fc.string({ maxLength: 20 })),
    date: marked(fc.constantFrom('2026-12-24', '2027-01-02')),
    time: marked(fc.constantFrom('10:30', '18:00')),
    partySize: fc.integer({ min: 1, max: 50 }),
    name: marked(fc.string({ maxLength: 30 })),
    phone: marked(fc.stringMatching(/^\+[1-9]\d{6,14}$/)),
    email: marked(fc.emailAddress()),
    notes: marked(fc.string({ maxLength: 200 })),
  },
  { requiredKeys: [] },
);

/** A recorded record with the generated bookings in place of the stored ones. */
function withBookings(record: DynamoDBRecord, before: object, after: object): DynamoDBRecord {
  const copy = structuredClone(record);
  const images = copy.dynamodb as Record<string, Record<string, unknown> | undefined>;
  for (const [name, value] of [
    ['OldImage', before],
    ['NewImage', after],
  ] as const) {
    const image = images[name];
    // A tombstone holds no booking; every other image does.
    if (image && image.deletedAt === undefined) image.booking = { M: marshall(value) };
  }
  return copy;
}

const recordArbitrary = fc.constantFrom(...ALL_RECORDS);

describe('booking values in events', () => {
  it(
    'never appear without eventsIncludeBooking, whatever the booking and the change',
    () => {
      fc.assert(
        fc.property(recordArbitrary, booking, booking, (record, before, after) => {
          const events = eventsOf(withBookings(record, before, after), mappingOptions(false));
          for (const event of events) {
            const text = JSON.stringify(event);
            expect(text).not.toContain(MARK);
            expect(event.detail).not.toHaveProperty('booking');
            expect(event.detail).not.toHaveProperty('previousBooking');
          }
        }),
        propertyParameters({ seed: 20_201, numRuns: 300 }),
      );
    },
    propertyTimeout(5_000),
  );

  it('appear with it: the property above can see a leak', () => {
    const events = eventsOf(
      withBookings(onlyRecordOf('booking'), {}, { name: `${MARK}Ada` }),
      mappingOptions(true),
    );

    expect(JSON.stringify(events)).toContain(MARK);
  });
});
