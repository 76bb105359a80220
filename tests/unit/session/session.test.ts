import { describe, expect, it } from 'vitest';
import { type SessionItem, toSession } from '../../../lib/session/session.ts';

const ITEM: SessionItem = {
  userId: 'wa:+447700900123',
  sessionId: '6f1c2a4e-0000-4000-8000-000000000000',
  source: 'Chatbot',
  version: 2,
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:05:00.000Z',
  expiresAt: '2026-12-26T10:05:00.000Z',
  step: 'pick_time',
  booking: { service: 'Haircut' },
  context: { lang: 'en' },
  activityShard: 7,
  purgeAt: 1_798_000_000,
  lastWriteId: 'w1',
};

describe('toSession', () => {
  it('keeps the public fields in a stable order', () => {
    expect(Object.keys(toSession({ ...ITEM }))).toEqual([
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

  it.each(['activityShard', 'purgeAt', 'lastWriteId', 'somethingElse'])(
    'never passes %s on to a caller',
    (field) => {
      expect(toSession({ ...ITEM, somethingElse: 1 })).not.toHaveProperty(field);
    },
  );

  it.each([
    ['step', null],
    ['booking', {}],
    ['context', {}],
  ])('fills a missing %s with %j', (field, empty) => {
    const item: Record<string, unknown> = { ...ITEM };
    delete item[field];
    expect(toSession(item)[field as 'step']).toEqual(empty);
  });
});
