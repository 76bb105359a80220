/**
 * The consumer's stack over recorded stream records: events on the bus in record order, a partial batch
 * response that names every record from the first one not wholly published, and logs without user ids.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEntry, BusEntryResult } from '../../../lib/events/publish.ts';
import { createEventsHandler } from '../../../lib/handlers/events-handler.ts';
import { lambdaContext } from '../../support/lambda-events.ts';
import { type CapturedOutput, captureOutput } from '../../support/output-capture.ts';
import { ALL_RECORDS, recordsOf } from '../../support/stream-fixtures.ts';

const config = { eventBusName: 'session-service-test', eventsIncludeBooking: false, inactiveDays: 30 };

function handlerWith(refuse: (entry: BusEntry) => boolean = () => false) {
  const sent: BusEntry[] = [];
  const putEvents = async (entries: BusEntry[]): Promise<BusEntryResult[]> =>
    entries.map((entry) => {
      if (refuse(entry)) return { ErrorCode: 'InternalFailure' };
      sent.push(entry);
      return { EventId: String(sent.length) };
    });
  const handler = createEventsHandler({
    config,
    // Its own logger at DEBUG: the suite's environment silences the runtime's.
    logger: new Logger({ serviceName: 'session-service', logLevel: 'DEBUG' }),
    putEvents,
    publish: { maxAttempts: 2, wait: async () => undefined },
  });
  const invoke = (records: DynamoDBRecord[]) =>
    handler({ Records: records }, lambdaContext()) as Promise<DynamoDBBatchResponse>;
  return { sent, invoke };
}

const sequenceNumbers = (records: DynamoDBRecord[]) =>
  records.map((record) => record.dynamodb?.SequenceNumber);

describe('events handler', () => {
  let output: CapturedOutput;
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => output.restore());

  it('publishes the events of a batch in record order and reports no failure', async () => {
    const { sent, invoke } = handlerWith();
    const records = [
      ...recordsOf('create'),
      ...recordsOf('step'),
      ...recordsOf('refresh'),
      ...recordsOf('clear'),
    ];

    const response = await invoke(records);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent.map((entry) => entry.DetailType)).toEqual([
      'Session Created',
      'Step Changed',
      'Session Cleared',
    ]);
    expect(new Set(sent.map((entry) => entry.EventBusName))).toEqual(new Set([config.eventBusName]));
  });

  it('names every record from the first one it could not publish', async () => {
    const records = [...ALL_RECORDS];
    const failing = records.findIndex(
      (record) => record === recordsOf('delete')[0] || record.eventID === recordsOf('delete')[0]?.eventID,
    );
    const { sent, invoke } = handlerWith((entry) => entry.DetailType === 'Session Deleted');

    const response = await invoke(records);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      sequenceNumbers(records.slice(failing)),
    );
    expect(sent.map((entry) => entry.DetailType)).not.toContain(
      'Session Created'.repeat(0) || 'Session Deleted',
    );
  });

  it('stops at a record it cannot read, and names it and every later one', async () => {
    const { sent, invoke } = handlerWith();
    const broken = { ...recordsOf('step')[0], eventName: 'TRUNCATE' } as unknown as DynamoDBRecord;
    const records = [...recordsOf('create'), broken, ...recordsOf('booking')];

    const response = await invoke(records);

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      sequenceNumbers(records.slice(1)),
    );
    expect(sent.map((entry) => entry.DetailType)).toEqual(['Session Created']);
    expect(output.allJson().some((line) => line.message === 'stream record unreadable')).toBe(true);
  });

  it('logs counts and sequence numbers, never a user id or a booking value', async () => {
    const { invoke } = handlerWith((entry) => entry.DetailType === 'Booking Changed');
    await invoke([...ALL_RECORDS]);

    const text = output.lines.map((line) => line.text).join('\n');
    expect(output.allJson().map((line) => line.message)).toEqual(['events not all published']);
    expect(text).not.toMatch(/fixture:|Ada Lovelace|\+447700900123/);
  });

  it('fails at cold start without the bus name', () => {
    expect(() => createEventsHandler({ config: { ...config, eventBusName: undefined } })).toThrow(
      'EVENT_BUS_NAME',
    );
  });
});
