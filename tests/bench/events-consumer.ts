/**
 * The events consumer's own CPU per stream record: the real handler stack (mapping, entries, logging)
 * over batches of recorded stream records, with a bus that answers at once, so only the function's work
 * is timed. `npx node tests/bench/events-consumer.ts` prints the figure that lib/capacity/events-cost.ts
 * uses (CONSUMER.cpuMsPerRecord).
 */
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { BusEntry } from '../../lib/events/publish.ts';
import { lambdaContext } from '../support/lambda-events.ts';
import { ALL_RECORDS } from '../support/stream-fixtures.ts';
import { median } from './stats.ts';

export interface ConsumerCpu {
  recordsPerBatch: number;
  batches: number;
  /** Median over rounds of CPU time (user + system) per record, in milliseconds. */
  cpuMsPerRecord: number;
  /** Events per record in the recorded mix (refreshes and context-only writes publish none). */
  eventsPerRecord: number;
}

/** `size` records cycled from the fixtures, each with an id of its own (ids make event ids). */
function batch(size: number, round: number): DynamoDBStreamEvent {
  return {
    Records: Array.from({ length: size }, (_, index) => {
      const record = ALL_RECORDS[index % ALL_RECORDS.length] as DynamoDBRecord;
      return { ...record, eventID: `${record.eventID}-${round}-${index}` };
    }),
  };
}

export async function measureEventsConsumer({ recordsPerBatch = 100, batches = 50, rounds = 7 } = {}) {
  // The handler module loads the consumer's runtime, whose configuration needs a table name.
  process.env.TABLE_NAME ??= 'session-service-bench-sessions';
  const { createEventsHandler } = await import('../../lib/handlers/events-handler.ts');
  let events = 0;
  const handler = createEventsHandler({
    config: { eventBusName: 'session-service-bench', eventsIncludeBooking: false, inactiveDays: 30 },
    // Logs at INFO as deployed; written to a sink, not the terminal.
    logger: new Logger({ serviceName: 'session-service', logLevel: 'INFO', logRecordOrder: ['message'] }),
    putEvents: async (entries: BusEntry[]) => {
      events += entries.length;
      return entries.map((_, index) => ({ EventId: String(index) }));
    },
  });
  const context = lambdaContext();
  const write = process.stdout.write.bind(process.stdout);
  const perRecord: number[] = [];
  process.stdout.write = () => true;
  try {
    for (let round = -1; round < rounds; round++) {
      const inputs = Array.from({ length: batches }, (_, index) =>
        batch(recordsPerBatch, round * batches + index),
      );
      events = 0;
      const start = process.cpuUsage();
      for (const input of inputs) await handler(input, context);
      const used = process.cpuUsage(start);
      // Round -1 warms the code up and is not counted.
      if (round >= 0) perRecord.push((used.user + used.system) / 1000 / (recordsPerBatch * batches));
    }
  } finally {
    process.stdout.write = write;
  }
  return {
    recordsPerBatch,
    batches,
    cpuMsPerRecord: median(perRecord),
    eventsPerRecord: events / (recordsPerBatch * batches),
  } satisfies ConsumerCpu;
}

export function eventsConsumerSection(cpu: ConsumerCpu): string {
  return `## 10. The events consumer's CPU per stream record

The real handler stack of \`publishEvents\` (mapping, bus entries, logging) over ${cpu.batches} batches of
${cpu.recordsPerBatch} recorded stream records (tests/fixtures/events), with a bus that answers at once, so
only the function's own work is timed: **${cpu.cpuMsPerRecord.toFixed(4)} ms of CPU per record** (median of
rounds), ${cpu.eventsPerRecord.toFixed(2)} events per record in the recorded mix. The capacity model prices the
consumer at \`CONSUMER.cpuMsPerRecord\` (lib/capacity/events-cost.ts). Rerun:
\`npx node tests/bench/events-consumer.ts\`.`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureEventsConsumer();
  console.log(JSON.stringify(result, null, 2));
}
