/**
 * The stream records recorded from moto (tests/support/record-stream-fixtures.ts) and the mapping's
 * options they were recorded for.
 */
import { readFileSync } from 'node:fs';
import type { DynamoDBRecord } from 'aws-lambda';
import type { MappingOptions } from '../../lib/events/map-record.ts';
import { DAY_MS } from '../../lib/store/clock.ts';

interface FixtureFile {
  inactiveDays: number;
  scenarios: Record<string, { description: string; derived?: boolean; records: DynamoDBRecord[] }>;
}

const file = JSON.parse(
  readFileSync(new URL('../fixtures/events/stream-records.json', import.meta.url), 'utf8'),
) as FixtureFile;

export const SCENARIOS = file.scenarios;
export const SCENARIO_NAMES = Object.keys(SCENARIOS);

/** The scenario's records; throws for a name the fixtures lack. */
export function recordsOf(name: string): DynamoDBRecord[] {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`no fixture scenario ${name}`);
  return structuredClone(scenario.records);
}

/** The one record of a scenario that has exactly one. */
export function onlyRecordOf(name: string): DynamoDBRecord {
  const records = recordsOf(name);
  if (records.length !== 1) throw new Error(`${name} has ${records.length} records`);
  return records[0] as DynamoDBRecord;
}

/** Every record of every scenario, in the order recorded. */
export const ALL_RECORDS: readonly DynamoDBRecord[] = Object.values(SCENARIOS).flatMap(
  ({ records }) => records,
);

export const mappingOptions = (includeBooking = false): MappingOptions => ({
  includeBooking,
  inactiveMs: file.inactiveDays * DAY_MS,
});
