/**
 * Puts the events of a batch of stream records on the bus, in record order, and says from which record
 * on they are not all published. Ordering per user: a call of PutEvents holds at most one record's
 * events per user, and calls go one after the other, so a user's event is accepted only after every
 * earlier one of that user was. When an entry still fails after its retries, nothing after its record
 * is sent: the consumer reports that record failed, and the stream redelivers from it (events already
 * accepted come again with the same ids).
 */
import { EVENT_SOURCE, type SessionEvent } from './session-events.ts';

/** One PutEvents entry, as @aws-sdk/client-eventbridge takes it. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
  EventBusName: string;
}

/** One entry's answer: an error code when EventBridge refused it. */
export interface BusEntryResult {
  EventId?: string | undefined;
  ErrorCode?: string | undefined;
  ErrorMessage?: string | undefined;
}

/** Sends one PutEvents call and answers one result per entry, in order. */
export type PutEvents = (entries: BusEntry[]) => Promise<BusEntryResult[]>;

/** The events of one stream record. */
export interface RecordEvents {
  userId: string;
  events: SessionEvent[];
}

export interface PublishOptions {
  eventBusName: string;
  /** Attempts per entry, the first included, before its record is reported failed. */
  maxAttempts?: number;
  /** Waits before retrying refused entries (injected by tests); grows with the attempt. */
  wait?: (attempt: number) => Promise<void>;
}

export interface PublishOutcome {
  /** Events EventBridge accepted. */
  published: number;
  /** Index of the first record whose events are not all published; undefined when all are. */
  failedFrom: number | undefined;
  /** The error codes of the entries given up on (no detail: it may name a user). */
  errorCodes: string[];
}

/** PutEvents takes at most 10 entries per call (EventBridge quotas). */
export const MAX_ENTRIES_PER_CALL = 10;
const DEFAULT_PUT_ATTEMPTS = 3;

const backoff = (attempt: number) => new Promise<void>((resolve) => setTimeout(resolve, 100 * 2 ** attempt));

export function toBusEntry(event: SessionEvent, eventBusName: string): BusEntry {
  return {
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: new Date(event.detail.time),
    EventBusName: eventBusName,
  };
}

interface Pending {
  entry: BusEntry;
  record: number;
}

/**
 * Splits the records' events into calls, in order: a call closes when it is full or when the next event
 * is of a user it already holds from another record.
 */
export function planCalls(records: readonly RecordEvents[], eventBusName: string): Pending[][] {
  const calls: Pending[][] = [];
  let call: Pending[] = [];
  let users = new Map<string, number>();
  records.forEach((record, index) => {
    for (const event of record.events) {
      const holder = users.get(record.userId);
      if (call.length === MAX_ENTRIES_PER_CALL || (holder !== undefined && holder !== index)) {
        calls.push(call);
        call = [];
        users = new Map();
      }
      call.push({ entry: toBusEntry(event, eventBusName), record: index });
      users.set(record.userId, index);
    }
  });
  if (call.length > 0) calls.push(call);
  return calls;
}

/** Publishes every record's events in order; see the module comment for what a failure stops. */
export async function publishInOrder(
  records: readonly RecordEvents[],
  putEvents: PutEvents,
  options: PublishOptions,
): Promise<PublishOutcome> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_PUT_ATTEMPTS;
  const wait = options.wait ?? backoff;
  let published = 0;
  for (const call of planCalls(records, options.eventBusName)) {
    let pending = call;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let results: BusEntryResult[];
      try {
        results = await putEvents(pending.map(({ entry }) => entry));
      } catch (error) {
        // The SDK has already retried the call: give up on it (the stream redelivers).
        const code = (error as { name?: string }).name ?? 'Error';
        return { published, failedFrom: firstRecord(pending), errorCodes: [code] };
      }
      const refused = pending
        .map((item, index) => ({ item, result: results[index] }))
        .filter(({ result }) => result?.ErrorCode || !result?.EventId);
      published += pending.length - refused.length;
      if (refused.length > 0 && attempt >= maxAttempts) {
        return {
          published,
          failedFrom: firstRecord(refused.map(({ item }) => item)),
          errorCodes: refused.map(({ result }) => result?.ErrorCode ?? 'NoEventId'),
        };
      }
      if (refused.length > 0) await wait(attempt);
      pending = refused.map(({ item }) => item);
    }
  }
  return { published, failedFrom: undefined, errorCodes: [] };
}

const firstRecord = (pending: readonly Pending[]) => Math.min(...pending.map(({ record }) => record));
