import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import { activityTimes, inactiveBucketBound } from '../../../lib/store/clock.ts';
import {
  clearRequest,
  createOrGetRequest,
  deleteIfInactiveRequest,
  deleteRequest,
  getRequest,
  newSessionItem,
  replaceExpiredRequest,
  updateRequest,
} from '../../../lib/store/session-requests.ts';
import { activityBucketStart, activityShardOf } from '../../../lib/store/shard.ts';
import { KEY_SLOTS, RETRY_SLOTS, writeIdentity } from '../../../lib/store/write-register.ts';
import {
  inactiveQueryRequest,
  moveToShardRequest,
  shardEntriesRequest,
} from '../../../lib/sweep/index-requests.ts';

const times = activityTimes(new Date('2026-11-26T10:00:00.000Z'), 30, { userId: 'u1' });
const ACTIVITY_SHARDS = DEFAULT_ACTIVITY_SHARDS;
const limits = { contextKeys: 64 };
const write = { ...writeIdentity('update', {}, 'key-1'), writeId: 'w1' };
const unkeyedWrite = { ...writeIdentity('update', {}, undefined), writeId: 'r1' };
const guard = (expectedVersion?: number) => ({ write, expectedVersion, expectedSessionId: undefined });
const unkeyedGuard = (expectedVersion?: number) => ({
  write: unkeyedWrite,
  expectedVersion,
  expectedSessionId: undefined,
});
const WAS_ACTIVE = '(#updatedAtExact >= :cutoff OR #updatedAt >= :cutoff)';
const IS_LIVE_SESSION = `(attribute_exists(#userId) AND ${WAS_ACTIVE}) AND attribute_not_exists(#deletedAt)`;
/** A register's condition, one clause per slot: the key register `w*`, the retry register `r*`. */
const notRecorded = (prefix: string, slots: number) =>
  Array.from({ length: slots }, (_, slot) => `NOT begins_with(#${prefix}${slot}, :writeId)`).join(' AND ');
const NOT_RECORDED = notRecorded('w', KEY_SLOTS);
const NOT_RETRIED = notRecorded('r', RETRY_SLOTS);
/** A register's shift: slot N takes slot N-1's entry (or null), from the last slot down; slot 0 the new one. */
const shift = (prefix: string, slots: number) =>
  [
    ...Array.from(
      { length: slots - 1 },
      (_, index) => `#${prefix}${slots - 1 - index} = if_not_exists(#${prefix}${slots - 2 - index}, :none)`,
    ),
    `#${prefix}0 = :entry`,
  ].join(', ');

/** DynamoDB refuses a request that declares a name its expressions do not use, or uses an undeclared one. */
function expectNamesMatchUse(request: {
  UpdateExpression?: string | undefined;
  ConditionExpression?: string | undefined;
  KeyConditionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
}) {
  const used = [request.UpdateExpression, request.ConditionExpression, request.KeyConditionExpression]
    .join(' ')
    .match(/#\w+/g);
  expect(Object.keys(request.ExpressionAttributeNames ?? {}).sort()).toEqual([...new Set(used)].sort());
}

describe('session requests', () => {
  it('computes the activity times from one instant', () => {
    expect(times).toEqual({
      updatedAt: '2026-11-26T10:00:00.000Z',
      activityBucket: times.activityBucket,
      activityShard: activityShardOf('u1', DEFAULT_ACTIVITY_SHARDS),
      expiresAt: '2026-12-26T10:00:00.000Z',
      cutoff: '2026-10-27T10:00:00.000Z',
      purgeAt: Date.parse('2026-12-27T10:00:00.000Z') / 1000,
    });
    expect(times.activityBucket <= times.updatedAt).toBe(true);
    expect(Date.parse(times.updatedAt) - Date.parse(times.activityBucket)).toBeLessThan(60 * 60 * 1000);
  });

  it("newSessionItem starts at version 1 with empty data, on the user's shard", () => {
    expect(newSessionItem('u1', 's1', 'Website', times)).toEqual({
      userId: 'u1',
      sessionId: 's1',
      source: 'Website',
      version: 1,
      createdAt: times.updatedAt,
      updatedAt: times.activityBucket,
      updatedAtExact: times.updatedAt,
      expiresAt: times.expiresAt,
      step: null,
      booking: {},
      context: {},
      activityShard: activityShardOf('u1', DEFAULT_ACTIVITY_SHARDS),
      purgeAt: times.purgeAt,
    });
  });

  it('replaceExpiredRequest starts a new lifetime only over an item that holds no live session', () => {
    const item = newSessionItem('u1', 's1', 'Chatbot', times);
    const request = replaceExpiredRequest('t', item, times, unkeyedWrite);
    expect(request).toMatchObject({
      TableName: 't',
      Key: { userId: 'u1' },
      ExpressionAttributeValues: {
        ':sessionId': 's1',
        ':source': 'Chatbot',
        ':cutoff': times.cutoff,
        ':updatedAtExact': times.updatedAt,
        ':activityBucket': times.activityBucket,
        ':activityShard': times.activityShard,
      },
      ReturnValues: 'ALL_NEW',
    });
    expect(request.UpdateExpression).toContain('#createdAt = :updatedAtExact');
    expect(request.UpdateExpression).toMatch(/ REMOVE #deletedAt, #lastWriteId$/);
    expect(request.ConditionExpression).toBe(
      `((attribute_not_exists(#userId) OR (NOT ${WAS_ACTIVE})) OR attribute_exists(#deletedAt)) AND ${NOT_RETRIED}`,
    );
    expectNamesMatchUse(request);
    const keyed = replaceExpiredRequest('t', item, times, write);
    expect(keyed.ConditionExpression?.endsWith(` AND ${NOT_RECORDED}`)).toBe(true);
    expect(keyed.UpdateExpression).toContain('#w0 = :entry');
    expectNamesMatchUse(keyed);
  });

  it("getRequest reads the user's item consistently", () => {
    expect(getRequest('t', 'u1')).toEqual({ TableName: 't', Key: { userId: 'u1' }, ConsistentRead: true });
  });

  describe('createOrGetRequest', () => {
    const request = createOrGetRequest('t', 'u1', 'candidate', 'Chatbot', times, unkeyedWrite);

    it('keeps every existing field through if_not_exists and always touches the activity', () => {
      for (const field of ['sessionId', 'source', 'version', 'createdAt', 'step', 'booking', 'context']) {
        expect(request.UpdateExpression).toContain(`#${field} = if_not_exists(#${field}, `);
      }
      expect(request.UpdateExpression).toContain('#updatedAtExact = :updatedAtExact');
      expect(request.UpdateExpression).toContain('#updatedAt = :activityBucket');
      expect(request.UpdateExpression).toContain('#activityShard = :activityShard');
      expect(request.ReturnValues).toBe('ALL_NEW');
      expectNamesMatchUse(request);
    });

    it('only succeeds on a missing or live session, and only once', () => {
      expect(request.ConditionExpression).toBe(
        `((attribute_not_exists(#userId) OR ${WAS_ACTIVE}) AND attribute_not_exists(#deletedAt)) AND ${NOT_RETRIED}`,
      );
      expect(request.ExpressionAttributeValues?.[':cutoff']).toBe(times.cutoff);
    });

    it('records a keyed call in the key register', () => {
      const keyed = createOrGetRequest('t', 'u1', 'candidate', 'Chatbot', times, write);
      expect(keyed.ConditionExpression).toBe(
        `((attribute_not_exists(#userId) OR ${WAS_ACTIVE}) AND attribute_not_exists(#deletedAt)) AND ${NOT_RECORDED}`,
      );
      expect(keyed.ExpressionAttributeValues?.[':writeId']).toBe('w1');
      expectNamesMatchUse(keyed);
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
        /^SET #version = #version \+ :one, #updatedAtExact = :updatedAtExact, #updatedAt = :activityBucket, #activityShard = :activityShard, #expiresAt = :expiresAt, #purgeAt = :purgeAt, #step = :step, #booking.#b0 = :b0, #context.#c0 = :c0, #w20 = if_not_exists\(#w19, :none\), .*#w1 = if_not_exists\(#w0, :none\), #w0 = :entry REMOVE #booking.#b1, #context.#c1, #lastWriteId$/,
      );
      expect(request.UpdateExpression).toContain(shift('w', KEY_SLOTS));
      expect(request.ExpressionAttributeNames).toMatchObject({
        '#b0': 'name',
        '#b1': 'phone',
        '#c0': 'x.y',
        '#c1': 'gone',
      });
      expect(request.ConditionExpression).toBe(
        `${IS_LIVE_SESSION} AND ${NOT_RECORDED} AND ` +
          '(size(#context) <= :contextRoom OR (attribute_exists(#context.#c0)))',
      );
      expect(request.ExpressionAttributeValues?.[':writeId']).toBe('w1');
      expect(request.ExpressionAttributeValues?.[':contextRoom']).toBe(63);
      expectNamesMatchUse(request);
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
      expectNamesMatchUse(request);
    });

    it('empties a whole field given as null', () => {
      const request = updateRequest(
        't',
        'u1',
        { step: null, booking: null, context: null },
        times,
        guard(),
        limits,
      );
      expect(request.UpdateExpression).toContain('#step = :step, #booking = :bEmpty, #context = :cEmpty');
      expect(request.ExpressionAttributeValues).toMatchObject({
        ':step': null,
        ':bEmpty': {},
        ':cEmpty': {},
      });
      expect(request.ConditionExpression).not.toContain(':contextRoom');
      expectNamesMatchUse(request);
    });

    it('adds the version to the condition when one is expected', () => {
      const request = updateRequest('t', 'u1', { step: 'a' }, times, guard(4), limits);
      expect(request.ConditionExpression).toContain('AND #version = :expectedVersion');
      expect(request.ExpressionAttributeValues?.[':expectedVersion']).toBe(4);
      expectNamesMatchUse(request);
    });

    it('declares no attribute name it does not use', () => {
      const request = updateRequest('t', 'u1', { context: {} }, times, guard(), limits);
      expect(Object.keys(request.ExpressionAttributeNames ?? {})).not.toContain('#context');
      expectNamesMatchUse(request);
    });
  });

  it('clearRequest resets the data and keeps the live-session condition', () => {
    const request = clearRequest('t', 'u1', times, guard());
    expect(request.UpdateExpression).toContain('#step = :null, #booking = :empty, #context = :empty');
    expect(request.ConditionExpression?.startsWith(`${IS_LIVE_SESSION} AND `)).toBe(true);
    expectNamesMatchUse(request);
    expectNamesMatchUse(clearRequest('t', 'u1', times, guard(3)));
  });

  it('deleteRequest turns a live session into a tombstone, checking the version only when one is expected', () => {
    const unversioned = deleteRequest('t', 'u1', times, guard());
    expect(unversioned.UpdateExpression).toContain(
      '#updatedAtExact = :updatedAtExact, #updatedAt = :activityBucket, #activityShard = :activityShard',
    );
    expect(unversioned.UpdateExpression).toContain('#deletedAt = :updatedAtExact');
    expect(unversioned.UpdateExpression).toMatch(/ REMOVE #step, #booking, #context, #lastWriteId$/);
    expect(unversioned.ConditionExpression?.startsWith(`${IS_LIVE_SESSION} AND `)).toBe(true);
    expect(unversioned.ConditionExpression).not.toContain(':expectedVersion');
    expectNamesMatchUse(unversioned);
    const versioned = deleteRequest('t', 'u1', times, guard(2));
    expect(versioned.ConditionExpression).toMatch(/ AND #version = :expectedVersion$/);
    expectNamesMatchUse(versioned);
  });

  describe('write registers', () => {
    const builders = {
      update: (g: ReturnType<typeof guard>) => updateRequest('t', 'u1', { step: 'a' }, times, g, limits),
      clear: (g: ReturnType<typeof guard>) => clearRequest('t', 'u1', times, g),
      delete: (g: ReturnType<typeof guard>) => deleteRequest('t', 'u1', times, g),
    };

    it.each(Object.entries(builders))(
      'a keyed %s checks and shifts the key register only, so unkeyed writes never push a key out',
      (_name, build) => {
        const request = build(guard(2));
        expect(request.ConditionExpression).toContain(NOT_RECORDED);
        expect(request.UpdateExpression).toContain(shift('w', KEY_SLOTS));
        expect(request.ExpressionAttributeNames).not.toHaveProperty('#r0');
        expect(request.ExpressionAttributeValues?.[':writeId']).toBe('w1');
        expectNamesMatchUse(request);
      },
    );

    it.each(Object.entries(builders))(
      'an unkeyed %s checks and shifts the retry register only',
      (_name, build) => {
        const request = build(unkeyedGuard(2));
        expect(request.ConditionExpression).toContain(NOT_RETRIED);
        expect(request.UpdateExpression).toContain(shift('r', RETRY_SLOTS));
        expect(request.ExpressionAttributeNames).not.toHaveProperty('#w0');
        expect(request.ExpressionAttributeValues?.[':writeId']).toBe('r1');
        expectNamesMatchUse(request);
      },
    );

    it('a create-or-get and a replacement record in the key register when keyed, else in the retry register', () => {
      const item = newSessionItem('u1', 's1', 'Chatbot', times);
      for (const request of [
        createOrGetRequest('t', 'u1', 'candidate', 'Chatbot', times, write),
        replaceExpiredRequest('t', item, times, write),
      ]) {
        expect(request.ConditionExpression).toContain(NOT_RECORDED);
        expect(request.UpdateExpression).toContain(shift('w', KEY_SLOTS));
        expectNamesMatchUse(request);
      }
      for (const request of [
        createOrGetRequest('t', 'u1', 'candidate', 'Chatbot', times, unkeyedWrite),
        replaceExpiredRequest('t', item, times, unkeyedWrite),
      ]) {
        expect(request.ConditionExpression).toContain(NOT_RETRIED);
        expect(request.UpdateExpression).toContain(shift('r', RETRY_SLOTS));
        expect(request.ExpressionAttributeNames).not.toHaveProperty('#w1');
        expectNamesMatchUse(request);
      }
    });

    it('a replacement marks where the new lifetime begins: the newest entry of each register so far', () => {
      const item = newSessionItem('u1', 's1', 'Chatbot', times);
      for (const recorded of [write, unkeyedWrite]) {
        const request = replaceExpiredRequest('t', item, times, recorded);
        expect(request.UpdateExpression).toContain('#wBefore = if_not_exists(#w0, :none)');
        expect(request.UpdateExpression).toContain('#rBefore = if_not_exists(#r0, :none)');
        expect(request.ExpressionAttributeValues?.[':none']).toBeNull();
      }
      expect(
        createOrGetRequest('t', 'u1', 'candidate', 'Chatbot', times, write).UpdateExpression,
      ).not.toContain('Before');
    });

    it('keeps the largest update under DynamoDB’s 4 KB expression limit, keyed or not', () => {
      // Every field at once, the most context keys one write may set, and both preconditions.
      const context = Object.fromEntries(Array.from({ length: 64 }, (_, index) => [`k${index}`, index]));
      const booking = {
        service: 's',
        name: 'n',
        date: '2026-12-03',
        time: '10:00',
        partySize: 2,
        phone: '+441234567890',
        email: 'a@b.co',
        notes: 'x',
      };
      for (const recorded of [guard(2).write, unkeyedGuard(2).write]) {
        const request = updateRequest(
          't',
          'u1',
          { step: 'a', booking, context },
          times,
          { write: recorded, expectedVersion: 2, expectedSessionId: 's1' },
          limits,
        );
        expect(Buffer.byteLength(request.UpdateExpression ?? '')).toBeLessThan(4096);
        expect(Buffer.byteLength(request.ConditionExpression ?? '')).toBeLessThan(4096);
      }
    });
  });

  it('an expected version beyond 2^53 becomes 0, which no session has, instead of failing to marshal', () => {
    const request = updateRequest('t', 'u1', { step: 'a' }, times, guard(2 ** 53 + 2), limits);
    expect(request.ExpressionAttributeValues?.[':expectedVersion']).toBe(0);
  });

  it('inactiveQueryRequest reads one shard of the index below the bucket bound, a page at a time', () => {
    const request = inactiveQueryRequest('t', 7, times.cutoff, undefined, 500);
    expect(request).toMatchObject({
      IndexName: 'byUpdatedAt',
      KeyConditionExpression: '#activityShard = :shard AND #updatedAt < :bucketBound',
      ExpressionAttributeValues: { ':shard': 7, ':bucketBound': times.cutoff },
      Limit: 500,
      ReturnConsumedCapacity: 'TOTAL',
    });
    expectNamesMatchUse(request);
  });

  it('deleteIfInactiveRequest deletes only a session still older than the cutoff', () => {
    const request = deleteIfInactiveRequest('t', 'u1', times.cutoff);
    expect(request.ConditionExpression).toBe(`attribute_exists(#userId) AND (NOT ${WAS_ACTIVE})`);
    expectNamesMatchUse(request);
    const keeping = deleteIfInactiveRequest('t', 'u1', times.cutoff, 'keep-tombstones');
    expect(keeping.ConditionExpression).toBe(
      `attribute_exists(#userId) AND (NOT ${WAS_ACTIVE}) AND attribute_not_exists(#deletedAt)`,
    );
    expectNamesMatchUse(keeping);
  });
  it('the backfill builders declare exactly the names they use', () => {
    expectNamesMatchUse(shardEntriesRequest('t', 3, undefined));
    expectNamesMatchUse(
      moveToShardRequest('t', 'u1', { activityShard: 3, updatedAt: times.activityBucket }, 5),
    );
  });
});

describe('activityShardOf', () => {
  it('is stable and within range', () => {
    expect(activityShardOf('wa:+447700900123', ACTIVITY_SHARDS)).toBe(
      activityShardOf('wa:+447700900123', ACTIVITY_SHARDS),
    );
    for (let index = 0; index < 1000; index++) {
      const shard = activityShardOf(`user-${index}`, ACTIVITY_SHARDS);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(ACTIVITY_SHARDS);
    }
  });

  it('spreads users evenly over the shards', () => {
    const counts = new Array(16).fill(0);
    for (let index = 0; index < 16_000; index++) counts[activityShardOf(`wa:+4477${index}`, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

describe('activityBucketStart and inactiveBucketBound', () => {
  const HOUR = 3_600_000;
  const instants = Array.from({ length: 500 }, (_, index) => Date.UTC(2026, 10, 26) + index * 7_919_017);

  it.each([1, 60_000, HOUR, 24 * HOUR])(
    'puts every instant in a bucket of %d ms that starts at most at it',
    (bucket) => {
      for (const [index, at] of instants.entries()) {
        const userId = `wa:+4477009${index}`;
        const start = Date.parse(activityBucketStart(userId, new Date(at), bucket));
        expect(start).toBeLessThanOrEqual(at);
        expect(at - start).toBeLessThan(bucket);
        // The same bucket for every instant inside it.
        expect(activityBucketStart(userId, new Date(start + bucket - 1), bucket)).toBe(
          new Date(start).toISOString(),
        );
      }
    },
  );

  it('bounds the sweep query so that every entry below it was inactive at the cutoff, and none is missed a bucket later', () => {
    const cutoff = Date.UTC(2026, 9, 27, 10);
    for (const [index, at] of instants.entries()) {
      const userId = `web:${index}`;
      const start = activityBucketStart(userId, new Date(cutoff - HOUR + (at % (2 * HOUR))), HOUR);
      const exact = cutoff - HOUR + (at % (2 * HOUR));
      const found = start < inactiveBucketBound(new Date(cutoff).toISOString(), HOUR);
      if (found) expect(exact).toBeLessThan(cutoff);
      if (exact < cutoff - HOUR) expect(found).toBe(true);
      // A run one bucket later finds every session expired at this cutoff.
      if (exact < cutoff)
        expect(start < inactiveBucketBound(new Date(cutoff + HOUR).toISOString(), HOUR)).toBe(true);
    }
    expect(inactiveBucketBound('2026-10-27T10:00:00.000Z', 1)).toBe('2026-10-27T10:00:00.000Z');
  });
});
