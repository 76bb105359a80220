import { describe, expect, it } from 'vitest';
import {
  findRecordedWrite,
  KEY_REGISTER,
  KEY_SLOTS,
  RETRY_REGISTER,
  RETRY_SLOTS,
  type WriteIdentity,
  writeEntry,
  writeIdentity,
} from '../../../lib/store/write-register.ts';

describe('write registers', () => {
  it('name 21 key slots w0…w20 (the names of the single register items held before) and 8 retry slots r0…r7', () => {
    expect([KEY_SLOTS, RETRY_SLOTS]).toEqual([21, 8]);
    expect([KEY_REGISTER[0], KEY_REGISTER.at(-1)]).toEqual(['w0', 'w20']);
    expect([RETRY_REGISTER[0], RETRY_REGISTER.at(-1)]).toEqual(['r0', 'r7']);
  });

  it('a keyed id is the same for every request with the key; an unkeyed one is new per call', () => {
    expect(writeIdentity('update', { a: 1 }, 'k').writeId).toBe(writeIdentity('clear', {}, 'k').writeId);
    expect(writeIdentity('update', {}, undefined).writeId).not.toBe(
      writeIdentity('update', {}, undefined).writeId,
    );
    expect(writeIdentity('update', {}, 'k').keyed).toBe(true);
    expect(writeIdentity('update', {}, undefined).keyed).toBe(false);
  });

  it('entries are at most 31 characters keyed (create-or-get) and 25 unkeyed', () => {
    const keyed = writeIdentity('createOrGet', {}, 'k'.repeat(255));
    expect(writeEntry(keyed, 'a-candidate-session-id')).toHaveLength(31);
    expect(writeEntry(writeIdentity('delete', {}, undefined))).toHaveLength(25);
  });

  it('finds an entry in either register, and in an item that has only the single register of before', () => {
    const keyed = writeIdentity('update', { step: 'a' }, 'msg-1');
    const unkeyed = writeIdentity('clear', {}, undefined);
    const item = { w3: writeEntry(keyed), r7: writeEntry(unkeyed), w0: null };
    expect(findRecordedWrite(item, keyed.writeId)).toEqual({
      requestHash: keyed.requestHash,
      nonce: keyed.nonce,
      operation: 'u',
      candidatePrefix: '',
      earlierLifetime: false,
    });
    expect(findRecordedWrite(item, unkeyed.writeId)).toMatchObject({ nonce: unkeyed.nonce, operation: 'c' });
    expect(findRecordedWrite({ w20: writeEntry(keyed) }, keyed.writeId)).toBeDefined();
    expect(findRecordedWrite(item, writeIdentity('update', {}, 'msg-2').writeId)).toBeUndefined();
    expect(findRecordedWrite(undefined, keyed.writeId)).toBeUndefined();
  });

  it('derives the id and nonce of a write from its callId, so a resent call is the same call', () => {
    const sent = writeIdentity('update', { step: 'a' }, undefined, 'call-1');
    const resent = writeIdentity('update', { step: 'a' }, undefined, 'call-1');
    expect(resent).toEqual(sent);
    expect(sent.keyed).toBe(false);
    expect(writeIdentity('update', { step: 'a' }, undefined, 'call-2').writeId).not.toBe(sent.writeId);
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
      w0: writeEntry(newer),
      w1: writeEntry(boundary),
      w2: writeEntry(older),
      wBefore: writeEntry(boundary),
      r0: writeEntry(unkeyed),
      rBefore: null,
    };
    const earlier = (stored: Record<string, unknown>, write: WriteIdentity) =>
      findRecordedWrite(stored, write.writeId)?.earlierLifetime;
    expect([older, boundary, newer].map((write) => earlier(item, write))).toEqual([true, true, false]);
    // No boundary (a register empty when the lifetime began, or a session never replaced): all current.
    expect(earlier(item, unkeyed)).toBe(false);
    // A boundary that has fallen off the register: every entry left is newer than it.
    expect(earlier({ ...item, wBefore: 'fallen-off' }, older)).toBe(false);
  });
});
