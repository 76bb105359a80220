import { describe, expect, it } from 'vitest';
import { activityTimes, DAY_MS, inactiveCutoff, systemClock } from '../../../lib/store/clock.ts';
import { activityBucketStart, activityShardOf } from '../../../lib/store/shard.ts';

const NOW = new Date('2026-11-26T10:00:00.000Z');
const PLACEMENT = { userId: 'u1' };

describe('activityTimes', () => {
  it('derives every instant from one activity', () => {
    expect(activityTimes(NOW, 30, PLACEMENT)).toEqual({
      updatedAt: '2026-11-26T10:00:00.000Z',
      updatedBucket: activityBucketStart('u1', NOW, 3_600_000),
      activityShard: activityShardOf('u1', 16),
      cutoff: '2026-10-27T10:00:00.000Z',
      purgeAt: Date.parse('2026-12-27T10:00:00.000Z') / 1000,
    });
  });

  it.each([1, 7, 30, 3650])(
    'keeps the cutoff one window of %d days before the activity, and the TTL a day past expiry',
    (days) => {
      const times = activityTimes(NOW, days, PLACEMENT);
      expect(NOW.getTime() - Date.parse(times.cutoff)).toBe(days * DAY_MS);
      expect(times.purgeAt * 1000 - NOW.getTime()).toBe(days * DAY_MS + DAY_MS);
    },
  );

  it('rounds the TTL down to whole seconds', () => {
    expect(Number.isInteger(activityTimes(new Date('2026-11-26T10:00:00.999Z'), 30, PLACEMENT).purgeAt)).toBe(
      true,
    );
  });
});

describe('inactiveCutoff', () => {
  it('agrees with activityTimes', () => {
    expect(inactiveCutoff(NOW, 30)).toBe(activityTimes(NOW, 30, PLACEMENT).cutoff);
  });

  it('is an ISO string that sorts like the instant, as the index needs', () => {
    expect(inactiveCutoff(NOW, 1) > inactiveCutoff(NOW, 2)).toBe(true);
  });
});

describe('DAY_MS and systemClock', () => {
  it('DAY_MS is one day', () => {
    expect(DAY_MS).toBe(86_400_000);
  });

  it('systemClock tells the current time', () => {
    const before = Date.now();
    const now = systemClock().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
