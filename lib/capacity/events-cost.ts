/**
 * The lifecycle events' monthly cost (docs/EVENTS.md): every change of a session is a stream record the
 * consumer reads, and some of them are events it puts on the bus. Zero DynamoDB requests are added to
 * any operation: the stream is part of the table. Prices are us-east-1, each with its page.
 */
import { LAMBDA } from './constants.ts';
import type { CostLine } from './model.ts';

/** AWS: EventBridge, https://aws.amazon.com/eventbridge/pricing/ ("Custom events"). */
export const EVENTBRIDGE = {
  usdPerMillionEvents: 1.0,
  /** Each 64 KB chunk of an event's payload is billed as one event. */
  billedChunkBytes: 64 * 1024,
} as const;

/**
 * AWS: DynamoDB Streams, https://aws.amazon.com/dynamodb/pricing/on-demand/ ("Change data capture"):
 * GetRecords calls made by AWS Lambda as part of a DynamoDB trigger are not charged.
 */
const STREAM_READS_BY_LAMBDA_USD = 0;

/** The consumer as lib/deploy/events.cjs and serverless.yml deploy it. */
export const CONSUMER = {
  /** serverless.yml `functions.publishEvents.memorySize`. */
  memoryMb: 256,
  /** lib/deploy/events.cjs STREAM_READING: BatchSize and MaximumBatchingWindowInSeconds. */
  batchSize: 100,
  batchingWindowS: 1,
  /**
   * Measured: the consumer's own CPU per record (`npx node tests/bench/events-consumer.ts`, median of 7
   * rounds of 50 batches of 100 recorded records: 0.015 to 0.022 ms on the development machine), rounded up.
   */
  cpuMsPerRecord: 0.025,
  /**
   * Policy: the wait for one PutEvents call of up to 10 entries. EventBridge publishes no latency figure;
   * tens of milliseconds is the order seen from Lambda in the same Region.
   */
  putEventsCallMs: 30,
  /** Policy: Lambda's start of an invocation, billed with it. */
  invocationOverheadMs: 2,
} as const;

export interface EventsWorkload {
  /** Stream records in the month: every write, the user's deletes and the sweep's deletes. */
  recordsPerMonth: number;
  /** Seconds in the month. */
  seconds: number;
  /** Shards of the table's stream: DynamoDB keeps about one per table partition. */
  streamShards: number;
  /**
   * Events per record (default 1, an upper bound for a chatbot's mix: a refresh or a context-only update
   * publishes none, an update of step and booking two; the recorded mix gives 0.8).
   */
  eventsPerRecord?: number;
  /** Bytes of one event's entry (default 1 KB: no booking values; at most a few KB with them). */
  eventBytes?: number;
}

export interface EventsCost {
  events: number;
  invocations: number;
  gbSeconds: number;
  lines: CostLine[];
}

/**
 * The month's cost of the events: PutEvents per event (64 KB chunks), and the consumer's invocations and
 * duration. Invocations: each stream shard sends a batch when it holds 100 records or has waited the
 * batching window, so at most one per shard per window, and never fewer than records / 100. No free
 * tier is credited here (the request functions' lines already take it).
 */
export function eventsCost(workload: EventsWorkload): EventsCost {
  const { recordsPerMonth, seconds, streamShards } = workload;
  const events = recordsPerMonth * (workload.eventsPerRecord ?? 1);
  const chunks = Math.max(1, Math.ceil((workload.eventBytes ?? 1024) / EVENTBRIDGE.billedChunkBytes));
  const fullBatches = recordsPerMonth / CONSUMER.batchSize;
  const windowsWithRecords = Math.min(recordsPerMonth, (streamShards * seconds) / CONSUMER.batchingWindowS);
  const invocations = Math.max(fullBatches, windowsWithRecords);
  const recordsPerInvocation = invocations === 0 ? 0 : recordsPerMonth / invocations;
  const callsPerInvocation = Math.ceil((recordsPerInvocation * (workload.eventsPerRecord ?? 1)) / 10);
  const durationMs =
    CONSUMER.invocationOverheadMs +
    recordsPerInvocation * CONSUMER.cpuMsPerRecord +
    callsPerInvocation * CONSUMER.putEventsCallMs;
  const gbSeconds = invocations * (durationMs / 1000) * (CONSUMER.memoryMb / 1024);
  return {
    events,
    invocations,
    gbSeconds,
    lines: [
      {
        id: 'eventsPutEvents',
        item: 'EventBridge custom events (lifecycle events)',
        quantity: events * chunks,
        unit: 'events',
        usd: ((events * chunks) / 1e6) * EVENTBRIDGE.usdPerMillionEvents,
      },
      {
        id: 'eventsLambdaRequests',
        item: 'Lambda requests, events consumer',
        quantity: invocations,
        unit: 'requests',
        usd: (invocations / 1e6) * LAMBDA.usdPerMillionRequests,
      },
      {
        id: 'eventsLambdaCompute',
        item: 'Lambda compute (arm64), events consumer',
        quantity: gbSeconds,
        unit: 'GB-s',
        usd: gbSeconds * LAMBDA.usdPerGbSecond,
      },
      {
        id: 'eventsStreamReads',
        item: 'DynamoDB Streams reads by the events consumer (free for Lambda)',
        quantity: invocations,
        unit: 'GetRecords',
        usd: STREAM_READS_BY_LAMBDA_USD,
      },
    ],
  };
}
