import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activityTimes } from '../../../lib/store/clock.ts';
import { IS_DEAD_OR_MISSING, IS_LIVE } from '../../../lib/store/conditions.ts';
import { SCHEMA_VERSION } from '../../../lib/store/item.ts';
import {
  clearRequest,
  createOrGetRequest,
  deleteRequest,
  getRequest,
  replaceDeadRequest,
  TOMBSTONE_LIFE_MS,
  updateRequest,
  type WritePlan,
} from '../../../lib/store/session-requests.ts';
import { KEY_SLOTS, RETRY_SLOTS, writeEntry, writeIdentity } from '../../../lib/store/write-register.ts';
import { propertyParameters } from '../../support/fuzz-parameters.ts';

const times = activityTimes(new Date('2026-11-26T10:00:00.000Z'), 30, { userId: 'u1' });
const keyed = writeIdentity('update', {}, 'key-1');
const unkeyed = writeIdentity('update', {}, undefined);
const plan = (overrides: Partial<WritePlan> = {}): WritePlan => ({
  write: keyed,
  times,
  precondition: {},
  ...overrides,
});

/** A register's condition, one clause per slot (numbered in base 36): the key register `k*`, the retry register `r*`. */
const notRecorded = (prefix: string, slots: number) =>
  Array.from(
    { length: slots },
    (_, slot) => `NOT begins_with(#${prefix}${slot.toString(36)}, :writeId)`,
  ).join(' AND ');

/** DynamoDB refuses a request that declares a name or value its expressions do not use, or uses an undeclared one. */
function expectDeclaredAsUsed(request: UpdateCommandInput) {
  const text = `${request.UpdateExpression} ${request.ConditionExpression}`;
  expect(Object.keys(request.ExpressionAttributeNames ?? {}).sort()).toEqual(
    [...new Set(text.match(/#\w+/g))].sort(),
  );
  expect(Object.keys(request.ExpressionAttributeValues ?? {}).sort()).toEqual(
    [...new Set(text.match(/:\w+/g))].sort(),
  );
}

const ALL_WRITES: [string, () => UpdateCommandInput][] = [
  ['createOrGetRequest', () => createOrGetRequest('t', 'u1', 's1', 'Chatbot', plan())],
  [
    'createOrGetRequest without a key',
    () => createOrGetRequest('t', 'u1', 's1', 'Chatbot', plan({ write: undefined })),
  ],
  ['replaceDeadRequest', () => replaceDeadRequest('t', 'u1', 's1', 'Chatbot', plan())],
  ['updateRequest', () => updateRequest('t', 'u1', { step: 'a', context: { x: 1 } }, plan())],
  ['clearRequest', () => clearRequest('t', 'u1', plan({ write: unkeyed }))],
  ['deleteRequest', () => deleteRequest('t', 'u1', plan({ precondition: { expectedVersion: 3 } }))],
];

describe('session requests', () => {
  describe.each(ALL_WRITES)('%s', (_, build) => {
    it('asks for the item as it was when its condition fails', () => {
      expect(build().ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    });

    it('declares exactly the names and values its expressions use', () => {
      expectDeclaredAsUsed(build());
    });

    it('addresses the user’s item in the given table', () => {
      expect(build()).toMatchObject({ TableName: 't', Key: { userId: 'u1' } });
    });
  });

  it("getRequest reads the user's item consistently", () => {
    expect(getRequest('t', 'u1')).toEqual({ TableName: 't', Key: { userId: 'u1' }, ConsistentRead: true });
  });

  describe('createOrGetRequest', () => {
    it('creates every field only if missing, touches the activity, and stores the current shape', () => {
      const request = createOrGetRequest('t', 'u1', 's1', 'Chatbot', plan({ write: undefined }));
      for (const field of ['sessionId', 'source', 'version', 'createdAt', 'step', 'booking', 'context']) {
        expect(request.UpdateExpression).toContain(`#${field} = if_not_exists(#${field}, `);
      }
      expect(request.UpdateExpression).toContain('#updatedAt = :updatedAt');
      expect(request.UpdateExpression).toContain('#updatedBucket = :updatedBucket');
      expect(request.ExpressionAttributeValues).toMatchObject({
        ':sessionId': 's1',
        ':source': 'Chatbot',
        ':updatedAt': times.updatedAt,
        ':updatedBucket': times.updatedBucket,
        ':activityShard': times.activityShard,
        ':schemaVersion': SCHEMA_VERSION,
      });
      expect(request.ConditionExpression).toBe(`(attribute_not_exists(#userId) OR (${IS_LIVE}))`);
      expect(request.ReturnValues).toBe('ALL_NEW');
    });

    it('records a keyed call in the key register', () => {
      const request = createOrGetRequest('t', 'u1', 's1', 'Chatbot', plan());
      expect(request.ConditionExpression).toContain(notRecorded('k', KEY_SLOTS));
      expect(request.UpdateExpression).toContain('#k0 = :entry');
      expect(request.ExpressionAttributeValues?.[':entry']).toEqual(writeEntry(keyed));
    });
  });

  describe('replaceDeadRequest', () => {
    it('starts a new lifetime over a missing item, a tombstone or an expired session, marking the lifetime boundary', () => {
      const request = replaceDeadRequest('t', 'u1', 's1', 'Website', plan({ write: unkeyed }));
      expect(request.ConditionExpression).toBe(
        `(${IS_DEAD_OR_MISSING}) AND NOT #sessionId = :sessionId AND ${notRecorded('r', RETRY_SLOTS)}`,
      );
      expect(request.UpdateExpression).toContain('#kBefore = if_not_exists(#k0, :none)');
      expect(request.UpdateExpression).toContain('#rBefore = if_not_exists(#r0, :none)');
      expect(request.UpdateExpression).toMatch(/ REMOVE #deletedAt$/);
      expect(request.ExpressionAttributeValues).toMatchObject({
        ':sessionId': 's1',
        ':one': 1,
        ':empty': {},
      });
    });
  });

  describe('updateRequest', () => {
    it('sets and removes fields one by one, and checks room only for the context keys it sets', () => {
      const request = updateRequest(
        't',
        'u1',
        { step: 'pick_time', booking: { name: 'Alex', notes: null }, context: { lang: 'en', old: null } },
        plan({ room: { setKeys: ['lang'], maxKeys: 64 } }),
      );
      expect(request.UpdateExpression).toContain('#step = :step');
      expect(request.UpdateExpression).toContain('#booking.#b0 = :b0');
      expect(request.UpdateExpression).toContain('#context.#c0 = :c0');
      expect(request.UpdateExpression).toMatch(/ REMOVE #booking\.#b1, #context\.#c1$/);
      expect(request.ExpressionAttributeNames).toMatchObject({
        '#b0': 'name',
        '#b1': 'notes',
        '#c0': 'lang',
        '#c1': 'old',
      });
      expect(request.ConditionExpression).toContain(
        '(size(#context) <= :contextRoom OR (attribute_exists(#context.#c0)))',
      );
      expect(request.ExpressionAttributeValues?.[':contextRoom']).toBe(63);
    });

    it('empties a whole field given as null', () => {
      const request = updateRequest('t', 'u1', { booking: null, context: null }, plan());
      expect(request.UpdateExpression).toContain('#booking = :bEmpty');
      expect(request.UpdateExpression).toContain('#context = :cEmpty');
    });

    it('adds the precondition, and turns a version beyond 2^53 into 0, which no session has', () => {
      const request = updateRequest(
        't',
        'u1',
        { step: 'a' },
        plan({ precondition: { expectedSessionId: 's1', expectedVersion: 2 ** 53 + 2 } }),
      );
      expect(request.ConditionExpression).toContain(' AND #sessionId = :expectedSessionId');
      expect(request.ConditionExpression).toContain(' AND #version = :expectedVersion');
      expect(request.ExpressionAttributeValues).toMatchObject({
        ':expectedSessionId': 's1',
        ':expectedVersion': 0,
      });
    });

    it('checks and shifts only the register of its kind', () => {
      const keyedRequest = updateRequest('t', 'u1', { step: 'a' }, plan());
      expect(keyedRequest.ConditionExpression).toContain(notRecorded('k', KEY_SLOTS));
      expect(keyedRequest.ConditionExpression).not.toContain('#r0');
      const unkeyedRequest = updateRequest('t', 'u1', { step: 'a' }, plan({ write: unkeyed }));
      expect(unkeyedRequest.ConditionExpression).toContain(notRecorded('r', RETRY_SLOTS));
      expect(unkeyedRequest.ConditionExpression).not.toContain('#k0');
    });

    it('declares exactly what it uses, for any patch', () => {
      const key = fc.string({ minLength: 1, maxLength: 8 });
      const fields = fc.option(fc.dictionary(key, fc.option(fc.integer(), { nil: null }), { maxKeys: 6 }), {
        nil: null,
      });
      fc.assert(
        fc.property(fc.option(fc.string(), { nil: null }), fields, fields, (step, booking, context) => {
          expectDeclaredAsUsed(updateRequest('t', 'u1', { step, booking, context } as never, plan()));
        }),
        propertyParameters({ seed: 17_001, numRuns: 200 }),
      );
    });

    it('keeps the largest update, keyed with a precondition, under DynamoDB’s 4 KB expression limit', () => {
      const context = Object.fromEntries(
        Array.from({ length: 64 }, (_, index) => [`key-${String(index).padStart(2, '0')}`, index]),
      );
      const booking = {
        service: 's',
        date: '2026-12-01',
        time: '10:00',
        partySize: 2,
        name: 'n',
        phone: '+441234567890',
        email: 'a@b.co',
        notes: 'x',
      };
      for (const write of [keyed, unkeyed]) {
        const request = updateRequest(
          't',
          'u1',
          { step: 'a', booking, context },
          plan({
            write,
            precondition: { expectedSessionId: 's1', expectedVersion: 2 },
            room: { setKeys: Object.keys(context), maxKeys: 64 },
          }),
        );
        expect(Buffer.byteLength(request.UpdateExpression ?? '')).toBeLessThan(4096);
        expect(Buffer.byteLength(request.ConditionExpression ?? '')).toBeLessThan(4096);
      }
    });
  });

  describe('clearRequest', () => {
    it('empties the data and adds 1 to the version of a live session', () => {
      const request = clearRequest('t', 'u1', plan());
      expect(request.UpdateExpression).toContain('#version = #version + :one');
      expect(request.UpdateExpression).toContain('#step = :null, #booking = :empty, #context = :empty');
      expect(request.ConditionExpression?.startsWith(IS_LIVE)).toBe(true);
    });
  });

  describe('deleteRequest', () => {
    it('leaves a tombstone without the data, which TTL removes after the tombstone life', () => {
      const request = deleteRequest('t', 'u1', plan());
      expect(request.UpdateExpression).toContain('#deletedAt = :updatedAt');
      expect(request.UpdateExpression).toMatch(/ REMOVE #step, #booking, #context$/);
      expect(request.ExpressionAttributeValues?.[':tombstonePurgeAt']).toBe(
        (Date.parse(times.updatedAt) + TOMBSTONE_LIFE_MS) / 1000,
      );
      expect(request.ReturnValues).toBe('NONE');
    });

    it('leaves the index keys as they are, so it writes no index entry', () => {
      const request = deleteRequest('t', 'u1', plan());
      expect(request.UpdateExpression).not.toContain('#updatedBucket');
      expect(request.UpdateExpression).not.toContain('#activityShard');
    });
  });
});
