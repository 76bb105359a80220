import { describe, expect, it } from 'vitest';
import { ItemVersionError } from '../../../lib/errors.ts';
import {
  readItem,
  SCHEMA_VERSION,
  type SessionItem,
  toSession,
  type UpgradeStep,
} from '../../../lib/store/item.ts';

const ITEM: SessionItem = {
  userId: 'wa:+447700900123',
  schemaVersion: SCHEMA_VERSION,
  sessionId: '6f1c2a4e-0000-4000-8000-000000000000',
  source: 'Chatbot',
  version: 2,
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:05:00.000Z',
  step: 'pick_time',
  booking: { service: 'Haircut' },
  context: { lang: 'en' },
  activityShard: 7,
  updatedBucket: 1_795_000_000_000,
  purgeAt: 1_798_000_000,
};

describe('toSession', () => {
  it('keeps the public fields in a stable order', () => {
    expect(Object.keys(toSession({ ...ITEM }, 30))).toEqual([
      'userId',
      'sessionId',
      'source',
      'version',
      'createdAt',
      'updatedAt',
      'expiresAt',
      'step',
      'booking',
      'context',
    ]);
  });

  it('derives expiresAt from the exact last activity and the window', () => {
    expect(toSession(ITEM, 30).expiresAt).toBe('2026-12-26T10:05:00.000Z');
    expect(toSession(ITEM, 1).expiresAt).toBe('2026-11-27T10:05:00.000Z');
  });

  it.each(['schemaVersion', 'activityShard', 'updatedBucket', 'purgeAt', 'k0', 'somethingElse'])(
    'never passes %s on to a caller',
    (field) => {
      const item = { ...ITEM, k0: new Uint8Array(11), somethingElse: 1 } as SessionItem;
      expect(toSession(item, 30)).not.toHaveProperty(field);
    },
  );

  it.each([
    ['step', null],
    ['booking', {}],
    ['context', {}],
  ])('fills a missing %s with %j', (field, empty) => {
    const item: Record<string, unknown> = { ...ITEM };
    delete item[field];
    expect(toSession(item as unknown as SessionItem, 30)[field as 'step']).toEqual(empty);
  });
});

describe('readItem', () => {
  it('reads an item of the current shape as it is', () => {
    expect(readItem({ ...ITEM })).toEqual(ITEM);
  });

  /**
   * A synthetic history of three shapes: 1 kept the booking under `draft`, 2 renamed it `booking`, 3 (the
   * current one here) counts context keys in `contextKeys`.
   */
  const toVersion2: UpgradeStep = ({ draft, ...rest }) => ({ ...rest, booking: draft ?? {} });
  const toVersion3: UpgradeStep = (item) => ({
    ...item,
    contextKeys: Object.keys((item.context as object | undefined) ?? {}).length,
  });
  const CHAIN = [toVersion2, toVersion3];

  it('upgrades an older item one step at a time, up to the current shape', () => {
    const { booking, ...rest } = ITEM;
    const version1 = { ...rest, schemaVersion: 1, draft: booking };

    expect(readItem(version1, CHAIN, 1)).toEqual({ ...ITEM, schemaVersion: 3, contextKeys: 1 });
  });

  it('applies only the steps an item still needs', () => {
    expect(readItem({ ...ITEM, schemaVersion: 2 }, CHAIN, 1)).toEqual({
      ...ITEM,
      schemaVersion: 3,
      contextKeys: 1,
    });
  });

  it.each([
    ['a newer shape', 4],
    ['an older shape than the chain starts from', 0],
    ['no version', undefined],
    ['a version that is not a whole number', 1.5],
    ['a version that is not a number', '1'],
  ])('refuses %s with ItemVersionError rather than misread it', (_, schemaVersion) => {
    expect(() => readItem({ ...ITEM, schemaVersion }, CHAIN, 1)).toThrow(ItemVersionError);
  });

  it('refuses an item of a newer shape than this version of the service writes', () => {
    expect(() => readItem({ ...ITEM, schemaVersion: SCHEMA_VERSION + 1 })).toThrow(
      /schemaVersion 2; this version of the service reads 1 to 1/,
    );
  });
});
