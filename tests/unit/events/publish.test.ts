/**
 * Publishing in order: calls of at most ten entries, one record's events per user per call, refused
 * entries retried, and nothing after a record given up on.
 */
import { describe, expect, it } from 'vitest';
import {
  type BusEntry,
  type BusEntryResult,
  MAX_ENTRIES_PER_CALL,
  planCalls,
  publishInOrder,
  type RecordEvents,
} from '../../../lib/events/publish.ts';
import { DETAIL_TYPES, EVENT_SOURCE, type SessionEvent } from '../../../lib/events/session-events.ts';

const BUS = 'session-service-test';

function created(userId: string, id: string): SessionEvent {
  return {
    detailType: DETAIL_TYPES.created,
    detail: {
      eventId: id,
      userId,
      sessionId: `s-${id}`,
      version: 1,
      time: '2026-12-01T10:00:00.000Z',
      source: 'Website',
    },
  };
}

/** One record per (user, event ids): `record('a', 'e1', 'e2')` is one record of user a with two events. */
const record = (userId: string, ...ids: string[]): RecordEvents => ({
  userId,
  events: ids.map((id) => created(userId, id)),
});

const idOf = (entry: BusEntry) => (JSON.parse(entry.Detail) as { eventId: string }).eventId;

/** A fake PutEvents: refuses the entries `refuse` names (as many times as it says), records every call. */
function fakeBus(refuse: Record<string, number> = {}, fail?: (call: number) => boolean) {
  const calls: string[][] = [];
  const accepted: string[] = [];
  const putEvents = async (entries: BusEntry[]): Promise<BusEntryResult[]> => {
    calls.push(entries.map(idOf));
    if (fail?.(calls.length)) throw Object.assign(new Error('down'), { name: 'InternalException' });
    return entries.map((entry) => {
      const id = idOf(entry);
      if ((refuse[id] ?? 0) > 0) {
        refuse[id] = (refuse[id] as number) - 1;
        return { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' };
      }
      accepted.push(id);
      return { EventId: `eb-${id}` };
    });
  };
  return { calls, accepted, putEvents };
}

const noWait = { wait: async () => undefined };

describe('planCalls', () => {
  it('keeps record order, ten entries to a call at most', () => {
    const records = Array.from({ length: 25 }, (_, index) => record(`u${index}`, `e${index}`));
    const calls = planCalls(records, BUS);

    expect(calls.map((call) => call.length)).toEqual([MAX_ENTRIES_PER_CALL, MAX_ENTRIES_PER_CALL, 5]);
    expect(calls.flat().map(({ entry }) => idOf(entry))).toEqual(records.map((_, index) => `e${index}`));
  });

  it("puts a user's next record in the next call, and one record's events together", () => {
    const calls = planCalls(
      [record('a', 'a1', 'a2'), record('b', 'b1'), record('a', 'a3'), record('c', 'c1')],
      BUS,
    );

    expect(calls.map((call) => call.map(({ entry }) => idOf(entry)))).toEqual([
      ['a1', 'a2', 'b1'],
      ['a3', 'c1'],
    ]);
  });

  it('builds entries of the service, on the bus, at the time of the change', () => {
    const first = planCalls([record('a', 'a1')], BUS)[0]?.[0];

    expect(first?.entry).toMatchObject({
      Source: EVENT_SOURCE,
      DetailType: 'Session Created',
      EventBusName: BUS,
      Time: new Date('2026-12-01T10:00:00.000Z'),
    });
  });
});

describe('publishInOrder', () => {
  it('publishes every event when the bus accepts them', async () => {
    const bus = fakeBus();
    const outcome = await publishInOrder([record('a', 'a1'), record('b', 'b1', 'b2')], bus.putEvents, {
      eventBusName: BUS,
    });

    expect(outcome).toEqual({ published: 3, failedFrom: undefined, errorCodes: [] });
    expect(bus.accepted).toEqual(['a1', 'b1', 'b2']);
  });

  it('retries only the refused entries, then goes on', async () => {
    const bus = fakeBus({ b1: 2 });
    const outcome = await publishInOrder(
      [record('a', 'a1'), record('b', 'b1'), record('b', 'b2')],
      bus.putEvents,
      {
        eventBusName: BUS,
        ...noWait,
      },
    );

    expect(outcome.failedFrom).toBeUndefined();
    expect(bus.calls).toEqual([['a1', 'b1'], ['b1'], ['b1'], ['b2']]);
    expect(bus.accepted).toEqual(['a1', 'b1', 'b2']);
  });

  it("gives up on a record after its attempts, and sends nothing after it: a user's later event never overtakes", async () => {
    const bus = fakeBus({ b1: 99 });
    const outcome = await publishInOrder(
      [record('a', 'a1'), record('b', 'b1'), record('c', 'c1'), record('b', 'b2'), record('d', 'd1')],
      bus.putEvents,
      { eventBusName: BUS, maxAttempts: 3, ...noWait },
    );

    expect(outcome).toEqual({
      published: 2,
      failedFrom: 1,
      errorCodes: ['ThrottlingException'],
    });
    expect(bus.accepted).toEqual(['a1', 'c1']);
    expect(bus.calls.flat()).not.toContain('b2');
  });

  it('reports the first record of a call the SDK gave up on', async () => {
    const bus = fakeBus({}, (call) => call === 2);
    const records = Array.from({ length: 15 }, (_, index) => record(`u${index}`, `e${index}`));
    const outcome = await publishInOrder(records, bus.putEvents, { eventBusName: BUS });

    expect(outcome).toEqual({ published: 10, failedFrom: 10, errorCodes: ['InternalException'] });
  });

  it('counts an entry answered without an event id as refused', async () => {
    const putEvents = async (entries: BusEntry[]) => entries.map(() => ({}));
    const outcome = await publishInOrder([record('a', 'a1')], putEvents, {
      eventBusName: BUS,
      maxAttempts: 1,
    });

    expect(outcome).toEqual({ published: 0, failedFrom: 0, errorCodes: ['NoEventId'] });
  });

  it('waits longer before each retry', async () => {
    const waits: number[] = [];
    const bus = fakeBus({ a1: 2 });
    await publishInOrder([record('a', 'a1')], bus.putEvents, {
      eventBusName: BUS,
      wait: async (attempt) => {
        waits.push(attempt);
      },
    });

    expect(waits).toEqual([1, 2]);
  });
});
