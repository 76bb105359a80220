/**
 * The contract: every event the mapping emits from the recorded changes, with and without booking
 * values, matches docs/events.schema.json, the schema docs/EVENTS.md publishes.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { eventsOf } from '../../../lib/events/map-record.ts';
import { toBusEntry } from '../../../lib/events/publish.ts';
import { DETAIL_TYPES, type SessionEvent } from '../../../lib/events/session-events.ts';
import { ALL_RECORDS, mappingOptions } from '../../support/stream-fixtures.ts';

const SCHEMA_URL = new URL('../../../docs/events.schema.json', import.meta.url);
const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
const eventsDoc = readFileSync(new URL('../../../docs/EVENTS.md', import.meta.url), 'utf8');

const ajv = new Ajv({ allErrors: true });
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
const validate = ajv.compile(schema);

/** The event as a rule's target receives it: the fields of the envelope the schema constrains. */
function asDelivered(event: SessionEvent) {
  const entry = toBusEntry(event, 'session-service-test');
  return { source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail) };
}

const emitted = (includeBooking: boolean) =>
  ALL_RECORDS.flatMap((record) => eventsOf(record, mappingOptions(includeBooking)));

describe('docs/events.schema.json', () => {
  it.each([false, true])('matches every emitted event (eventsIncludeBooking %s)', (includeBooking) => {
    const events = emitted(includeBooking);

    expect(events.length).toBeGreaterThanOrEqual(15);
    for (const event of events) {
      const valid = validate(asDelivered(event));
      expect(valid, `${event.detailType}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('refuses a detail with a field it does not define, or under another detail type', () => {
    const [created] = emitted(false);
    const delivered = asDelivered(created as SessionEvent);

    expect(validate({ ...delivered, detail: { ...delivered.detail, phone: '+447700900123' } })).toBe(false);
    expect(validate({ ...delivered, 'detail-type': DETAIL_TYPES.stepChanged })).toBe(false);
  });

  it('defines exactly the detail types the code emits', () => {
    const defined = (schema.oneOf as { properties: { 'detail-type': { const: string } } }[]).map(
      (branch) => branch.properties['detail-type'].const,
    );

    expect(defined.sort()).toEqual(Object.values(DETAIL_TYPES).sort());
  });

  it('is linked from docs/EVENTS.md, which gives every detail type a section and an example', () => {
    expect(eventsDoc).toContain('(events.schema.json)');
    for (const detailType of Object.values(DETAIL_TYPES)) {
      expect(eventsDoc, detailType).toMatch(new RegExp(`^### ${detailType}$`, 'm'));
      expect(eventsDoc, detailType).toContain(`"detail-type": "${detailType}"`);
    }
  });

  it('matches the examples in docs/EVENTS.md', () => {
    const examples = [...eventsDoc.matchAll(/```json\n([\s\S]*?)```/g)].map((match) =>
      JSON.parse(match[1] as string),
    );
    const events = examples.filter((example) => example['detail-type'] !== undefined);

    expect(events.length).toBeGreaterThanOrEqual(Object.values(DETAIL_TYPES).length);
    for (const example of events) {
      expect(validate(example), `${example['detail-type']}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });
});
