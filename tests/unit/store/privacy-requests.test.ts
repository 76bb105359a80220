import { describe, expect, it } from 'vitest';
import { eraseRequest, exportOfItem, exportRequest } from '../../../lib/store/privacy-requests.ts';
import { KEY_REGISTER, RETRY_REGISTER } from '../../../lib/store/write-register.ts';

describe('eraseRequest', () => {
  it('deletes the item with no condition, answering what was there', () => {
    expect(eraseRequest('sessions', 'wa:+447700900123')).toEqual({
      TableName: 'sessions',
      Key: { userId: 'wa:+447700900123' },
      ReturnValues: 'ALL_OLD',
    });
  });
});

describe('exportRequest', () => {
  it('reads the whole item, strongly consistent', () => {
    expect(exportRequest('sessions', 'u')).toEqual({
      TableName: 'sessions',
      Key: { userId: 'u' },
      ConsistentRead: true,
    });
  });
});

describe('exportOfItem', () => {
  const live = () => true;
  const session = {
    userId: 'u',
    sessionId: 's',
    source: 'Website',
    version: 2,
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    updatedAtExact: '2026-11-26T10:05:00.000Z',
    expiresAt: '2026-12-26T10:05:00.000Z',
    step: null,
    booking: {},
    context: {},
    activityShard: 3,
    purgeAt: 1_798_020_300,
  };

  it('counts the filled slots of each register, whatever their values hold, and never shows them', () => {
    const item = {
      ...session,
      [KEY_REGISTER[0]]: 'entry-of-a-key',
      [KEY_REGISTER[1] as string]: new Uint8Array([1, 2]),
      [KEY_REGISTER[2] as string]: null,
      [RETRY_REGISTER[0]]: 'entry-of-a-call',
    };

    const exported = exportOfItem('u', item, live);

    expect(exported.rememberedWriteIds).toEqual({ keyed: 2, unkeyed: 1 });
    expect(JSON.stringify(exported)).not.toContain('entry-of');
  });

  it('shows the stored session with the exact last activity and the TTL time', () => {
    expect(exportOfItem('u', session, () => false).session).toMatchObject({
      updatedAt: '2026-11-26T10:05:00.000Z',
      live: false,
      purgeAt: new Date(1_798_020_300_000).toISOString(),
    });
  });

  it('shows a tombstone as no session, with its deletion and removal times', () => {
    const tombstone = { userId: 'u', deletedAt: '2026-11-26T11:00:00.000Z', purgeAt: 1_798_020_300 };
    expect(exportOfItem('u', tombstone, live)).toEqual({
      userId: 'u',
      session: null,
      tombstone: {
        deletedAt: '2026-11-26T11:00:00.000Z',
        purgeAt: new Date(1_798_020_300_000).toISOString(),
      },
      rememberedWriteIds: { keyed: 0, unkeyed: 0 },
    });
  });

  it('shows nothing when nothing is stored', () => {
    expect(exportOfItem('u', undefined, live)).toEqual({
      userId: 'u',
      session: null,
      tombstone: null,
      rememberedWriteIds: { keyed: 0, unkeyed: 0 },
    });
  });
});
