import { describe, expect, it } from 'vitest';
import {
  ENTRY_CHARS,
  findRecordedWrite,
  KEY_REGISTER,
  KEY_SLOTS,
  RETRY_REGISTER,
  RETRY_SLOTS,
  recordedCounts,
  sameRequest,
  type WriteIdentity,
  writeEntry,
  writeIdentity,
} from '../../../lib/store/write-register.ts';

describe('write registers', () => {
  it('name 21 key slots k0…kk (base 36) and 8 retry slots r0…r7', () => {
    expect([KEY_SLOTS, RETRY_SLOTS]).toEqual([21, 8]);
    expect([KEY_REGISTER[0], KEY_REGISTER.at(-1)]).toEqual(['k0', 'kk']);
    expect([RETRY_REGISTER[0], RETRY_REGISTER.at(-1)]).toEqual(['r0', 'r7']);
  });

  it('a keyed id is the same for every request with the key; an unkeyed one is new per call', () => {
    expect(writeIdentity('update', { a: 1 }, 'k').writeId).toEqual(writeIdentity('clear', {}, 'k').writeId);
    expect(writeIdentity('update', {}, undefined).writeId).not.toEqual(
      writeIdentity('update', {}, undefined).writeId,
    );
    expect(writeIdentity('update', {}, 'k').keyed).toBe(true);
    expect(writeIdentity('update', {}, undefined).keyed).toBe(false);
  });

  it('an entry is 15 base64url characters, whatever the key, and begins with its id', () => {
    expect(ENTRY_CHARS).toBe(15);
    const keyed = writeIdentity('createOrGet', {}, 'k'.repeat(255));
    expect(writeEntry(keyed)).toMatch(/^[A-Za-z0-9_-]{15}$/);
    expect(writeEntry(keyed).startsWith(keyed.writeId)).toBe(true);
    expect(writeEntry(writeIdentity('delete', {}, undefined))).toHaveLength(15);
  });

  it('round-trips every nonce value', () => {
    for (const nonce of [0, 1, 2 ** 14, 2 ** 15 - 1]) {
      const write = { ...writeIdentity('clear', {}, 'k'), nonce };
      expect(findRecordedWrite({ k0: writeEntry(write) }, write.writeId)).toMatchObject({
        nonce,
        operation: 'clear',
      });
    }
  });

  it('the request hash tells two requests apart whatever their key order', () => {
    const first = writeIdentity('update', { step: 'a', context: { x: 1, y: 2 } }, 'k');
    const same = writeIdentity('update', { context: { y: 2, x: 1 }, step: 'a' }, 'k');
    const other = writeIdentity('update', { step: 'b' }, 'k');
    const recorded = findRecordedWrite({ k0: writeEntry(first) }, first.writeId);
    expect(recorded && sameRequest(recorded, same)).toBe(true);
    expect(recorded && sameRequest(recorded, other)).toBe(false);
  });

  it('finds an entry in either register, with its nonce and operation', () => {
    const keyed = writeIdentity('update', { step: 'a' }, 'msg-1');
    const unkeyed = writeIdentity('clear', {}, undefined);
    const item = { k3: writeEntry(keyed), r7: writeEntry(unkeyed), k0: null };
    expect(findRecordedWrite(item, keyed.writeId)).toEqual({
      requestHash: keyed.requestHash,
      nonce: keyed.nonce,
      operation: 'update',
      earlierLifetime: false,
    });
    expect(findRecordedWrite(item, unkeyed.writeId)).toMatchObject({
      nonce: unkeyed.nonce,
      operation: 'clear',
    });
    expect(findRecordedWrite({ kk: writeEntry(keyed) }, keyed.writeId)).toBeDefined();
    expect(findRecordedWrite(item, writeIdentity('update', {}, 'msg-2').writeId)).toBeUndefined();
    expect(findRecordedWrite(undefined, keyed.writeId)).toBeUndefined();
  });

  it.each(['update', 'clear', 'delete', 'createOrGet'] as const)(
    'round-trips the operation %s',
    (operation) => {
      const write = writeIdentity(operation, {}, 'k');
      expect(findRecordedWrite({ k0: writeEntry(write) }, write.writeId)?.operation).toBe(operation);
    },
  );

  it('derives the id and nonce of a write from its callId, so a resent call is the same call', () => {
    const sent = writeIdentity('update', { step: 'a' }, undefined, 'call-1');
    const resent = writeIdentity('update', { step: 'a' }, undefined, 'call-1');
    expect(resent).toEqual(sent);
    expect(sent.keyed).toBe(false);
    expect(writeIdentity('update', { step: 'a' }, undefined, 'call-2').writeId).not.toEqual(sent.writeId);
    // A key decides the register entry; the callId still tells the call's own resend from a redelivery.
    const keyed = writeIdentity('update', { step: 'a' }, 'msg-1', 'call-1');
    expect(keyed).toMatchObject({ writeId: writeIdentity('update', {}, 'msg-1').writeId, keyed: true });
    expect(keyed.nonce).toBe(sent.nonce);
    expect(writeIdentity('update', { step: 'a' }, 'msg-1', 'call-3').nonce).not.toBe(keyed.nonce);
  });

  it('tells an entry of an earlier lifetime: the boundary entry and every older one', () => {
    const older = writeIdentity('update', {}, 'm1');
    const boundary = writeIdentity('update', {}, 'm2');
    const newer = writeIdentity('update', {}, 'm3');
    const unkeyed = writeIdentity('clear', {}, undefined);
    const item = {
      k0: writeEntry(newer),
      k1: writeEntry(boundary),
      k2: writeEntry(older),
      kBefore: writeEntry(boundary),
      r0: writeEntry(unkeyed),
      rBefore: null,
    };
    const earlier = (stored: Record<string, unknown>, write: WriteIdentity) =>
      findRecordedWrite(stored, write.writeId)?.earlierLifetime;
    expect([older, boundary, newer].map((write) => earlier(item, write))).toEqual([true, true, false]);
    expect(earlier(item, unkeyed)).toBe(false);
  });

  it('counts the entries of each register, without showing them', () => {
    const item = {
      k0: writeEntry(writeIdentity('update', {}, 'a')),
      k1: writeEntry(writeIdentity('update', {}, 'b')),
      k2: null,
      r0: writeEntry(writeIdentity('clear', {}, undefined)),
    };
    expect(recordedCounts(item)).toEqual({ keyed: 2, unkeyed: 1 });
  });
});
