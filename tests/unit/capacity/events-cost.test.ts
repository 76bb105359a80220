/**
 * The events' cost per million changes, worked out by hand in docs/EVENTS.md: PutEvents per event in
 * 64 KB chunks, the consumer's invocations and duration, and the stream's reads, free for Lambda.
 */
import { describe, expect, it } from 'vitest';
import { CONSUMER, EVENTBRIDGE, eventsCost } from '../../../lib/capacity/events-cost.ts';

const MONTH_S = 730 * 3600;
const line = (cost: ReturnType<typeof eventsCost>, item: string) =>
  cost.lines.find((candidate) => candidate.item.startsWith(item));

describe('eventsCost', () => {
  describe('a million changes a month on one stream shard (about one record every 2.6 s)', () => {
    const cost = eventsCost({ recordsPerMonth: 1_000_000, seconds: MONTH_S, streamShards: 1 });

    it('puts one event per change at $1.00 a million', () => {
      expect(line(cost, 'EventBridge')?.usd).toBeCloseTo(1.0, 6);
    });

    it('invokes the consumer once per record: none waits for another within the batching window', () => {
      expect(cost.invocations).toBe(1_000_000);
      expect(line(cost, 'Lambda requests')?.usd).toBeCloseTo(0.2, 6);
      // 2 ms + 0.025 ms + one 30 ms PutEvents call, at 256 MB
      expect(cost.gbSeconds).toBeCloseTo(1_000_000 * 0.032025 * 0.25, 3);
    });

    it('reads the stream for nothing', () => {
      expect(line(cost, 'DynamoDB Streams')?.usd).toBe(0);
    });
  });

  describe('a billion changes a month (about 380 a second) on one shard', () => {
    const cost = eventsCost({ recordsPerMonth: 1e9, seconds: MONTH_S, streamShards: 1 });

    it('fills batches of 100: one invocation per 100 records, ten PutEvents calls each', () => {
      expect(cost.invocations).toBe(1e7);
      expect(cost.gbSeconds).toBeCloseTo(
        1e7 * ((2 + 100 * CONSUMER.cpuMsPerRecord + 10 * 30) / 1000) * 0.25,
        1,
      );
    });

    it('costs about $1.01 per million changes, nearly all of it PutEvents', () => {
      const usd = cost.lines.reduce((total, item) => total + item.usd, 0);

      expect(usd / 1_000).toBeCloseTo(1.012, 3);
    });
  });

  it('bills an event beyond 64 KB as several', () => {
    const cost = eventsCost({
      recordsPerMonth: 1_000,
      seconds: MONTH_S,
      streamShards: 1,
      eventBytes: EVENTBRIDGE.billedChunkBytes + 1,
    });

    expect(line(cost, 'EventBridge')?.quantity).toBe(2_000);
  });

  it('costs nothing without changes', () => {
    const cost = eventsCost({ recordsPerMonth: 0, seconds: MONTH_S, streamShards: 4 });

    expect(cost.lines.reduce((total, item) => total + item.usd, 0)).toBe(0);
  });
});
