import { describe, expect, it } from 'vitest';
import { activityTimes } from '../../lib/clock.ts';
import {
  clearRequest,
  createOrGetRequest,
  deleteIfInactiveRequest,
  deleteRequest,
  inactiveQueryRequest,
  updateRequest,
} from '../../lib/session-requests.ts';
import { ACTIVITY_SHARDS, activityShardOf } from '../../lib/shard.ts';
import { WRITE_SLOTS, writeIdentity } from '../../lib/write-register.ts';

const times = activityTimes(new Date('2026-11-26T10:00:00.000Z'), 30);
const limits = { contextKeys: 64 };
const write = { ...writeIdentity('update', {}, 'key-1'), writeId: 'w1' };
const guard = (expectedVersion?: number) => ({ write, expectedVersion, expectedSessionId: undefined });
/** The register's condition, one clause per slot. */
const NOT_RECORDED = Array.from(
  { length: WRITE_SLOTS },
  (_, slot) => `NOT begins_with(#w${slot}, :writeId)`,
).join(' AND ');

describe('session requests', () => {
  it('computes the activity times from one instant', () => {
    expect(times).toEqual({
      updatedAt: '2026-11-26T10:00:00.000Z',
      expiresAt: '2026-12-26T10:00:00.000Z',
      cutoff: '2026-10-27T10:00:00.000Z',
      purgeAt: Date.parse('2026-12-27T10:00:00.000Z') / 1000,
    });
  });

  describe('createOrGetRequest', () => {
    const request = createOrGetRequest('t', 'u1', 'candidate', 'Chatbot', times);

    it('keeps every existing field through if_not_exists and always touches the activity', () => {
      for (const field of ['sessionId', 'source', 'version', 'createdAt', 'step', 'booking', 'context']) {
        expect(request.UpdateExpression).toContain(`#${field} = if_not_exists(#${field}, `);
      }
      expect(request.UpdateExpression).toContain('#updatedAt = :updatedAt');
      expect(request.ReturnValues).toBe('ALL_NEW');
    });

    it('only succeeds on a missing or live session', () => {
      expect(request.ConditionExpression).toBe(
        '(attribute_not_exists(#userId) OR #updatedAt >= :cutoff) AND attribute_not_exists(#deletedAt)',
      );
      expect(request.ExpressionAttributeValues?.[':cutoff']).toBe(times.cutoff);
    });
  });

  describe('updateRequest', () => {
    it('sets given fields, removes null ones, and names every key through a placeholder', () => {
      const request = updateRequest(
        't',
        'u1',
        { step: 'a', booking: { name: 'Ada', phone: null }, context: { 'x.y': 1, gone: null } },
        times,
        guard(),
        limits,
      );

      expect(request.UpdateExpression).toMatch(
        /^SET #version = #version \+ :one, #updatedAt = :updatedAt, #expiresAt = :expiresAt, #purgeAt = :purgeAt, #step = :step, #booking.#b0 = :b0, #context.#c0 = :c0, #w20 = if_not_exists\(#w19, :none\), .*#w1 = if_not_exists\(#w0, :none\), #w0 = :entry REMOVE #booking.#b1, #context.#c1, #lastWriteId$/,
      );
      expect(request.ExpressionAttributeNames).toMatchObject({
        '#b0': 'name',
        '#b1': 'phone',
        '#c0': 'x.y',
        '#c1': 'gone',
      });
      expect(request.ConditionExpression).toBe(
        '(attribute_exists(#userId) AND #updatedAt >= :cutoff) AND attribute_not_exists(#deletedAt) AND ' +
          `${NOT_RECORDED} AND (size(#context) <= :contextRoom OR (attribute_exists(#context.#c0)))`,
      );
      expect(request.ExpressionAttributeValues?.[':writeId']).toBe('w1');
      expect(request.ExpressionAttributeValues?.[':contextRoom']).toBe(63);
    });

    it('leaves out fields whose value is undefined', () => {
      const request = updateRequest(
        't',
        'u1',
        { booking: { service: undefined, name: 'Ada' } },
        times,
        guard(),
        limits,
      );
      expect(request.ExpressionAttributeNames).toMatchObject({ '#b0': 'name' });
      expect(Object.values(request.ExpressionAttributeNames ?? {})).not.toContain('service');
    });

    it('adds the version to the condition when one is expected', () => {
      const request = updateRequest('t', 'u1', { step: 'a' }, times, guard(4), limits);
      expect(request.ConditionExpression).toContain('AND #version = :expectedVersion');
      expect(request.ExpressionAttributeValues?.[':expectedVersion']).toBe(4);
    });

    it('declares no attribute name it does not use', () => {
      const request = updateRequest('t', 'u1', { context: {} }, times, guard(), limits);
      expect(Object.keys(request.ExpressionAttributeNames ?? {})).not.toContain('#context');
    });
  });

  it('clearRequest resets the data and keeps the live-session condition', () => {
    const request = clearRequest('t', 'u1', times, guard());
    expect(request.UpdateExpression).toContain('#step = :null, #booking = :empty, #context = :empty');
    expect(request.ConditionExpression).toMatch(
      /^\(attribute_exists\(#userId\) AND #updatedAt >= :cutoff\) AND attribute_not_exists\(#deletedAt\) AND /,
    );
  });

  it('deleteRequest turns a live session into a tombstone, checking the version only when one is expected', () => {
    const unversioned = deleteRequest('t', 'u1', times, guard());
    expect(unversioned.UpdateExpression).toContain('#deletedAt = :updatedAt');
    expect(unversioned.UpdateExpression).toMatch(/ REMOVE #step, #booking, #context, #lastWriteId$/);
    expect(unversioned.ConditionExpression).not.toContain(':expectedVersion');
    expect(deleteRequest('t', 'u1', times, guard(2)).ConditionExpression).toMatch(
      / AND #version = :expectedVersion$/,
    );
  });

  it('an expected version beyond 2^53 becomes 0, which no session has, instead of failing to marshal', () => {
    const request = updateRequest('t', 'u1', { step: 'a' }, times, guard(2 ** 53 + 2), limits);
    expect(request.ExpressionAttributeValues?.[':expectedVersion']).toBe(0);
  });

  it('inactiveQueryRequest reads one shard of the index below the cutoff', () => {
    const request = inactiveQueryRequest('t', 7, times.cutoff, undefined);
    expect(request).toMatchObject({
      IndexName: 'byUpdatedAt',
      KeyConditionExpression: '#activityShard = :shard AND #updatedAt < :cutoff',
      ExpressionAttributeValues: { ':shard': 7, ':cutoff': times.cutoff },
      ReturnConsumedCapacity: 'TOTAL',
    });
  });

  it('deleteIfInactiveRequest deletes only a session still older than the cutoff', () => {
    expect(deleteIfInactiveRequest('t', 'u1', times.cutoff).ConditionExpression).toBe(
      'attribute_exists(#userId) AND #updatedAt < :cutoff',
    );
  });
});

describe('activityShardOf', () => {
  it('is stable and within range', () => {
    expect(activityShardOf('wa:+447700900123')).toBe(activityShardOf('wa:+447700900123'));
    for (let index = 0; index < 1000; index++) {
      const shard = activityShardOf(`user-${index}`);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(ACTIVITY_SHARDS);
    }
  });

  it('spreads users evenly over the shards', () => {
    const counts = new Array(ACTIVITY_SHARDS).fill(0);
    for (let index = 0; index < 16_000; index++) counts[activityShardOf(`wa:+4477${index}`)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
