import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../lib/store/item.ts';
import { eraseRequest, exportOfItem, exportRequest } from '../../../lib/store/privacy-requests.ts';
import {
  KEY_REGISTER,
  RETRY_REGISTER,
  writeEntry,
  writeIdentity,
} from '../../../lib/store/write-register.ts';

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
  const CUTOFF = '2026-10-27T10:00:00.000Z';
  const session = {
    userId: 'u',
    schemaVersion: SCHEMA_VERSION,
    sessionId: 's',
    source: 'Website',
    version: 2,
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:05:00.000Z',
    step: null,
    booking: {},
    context: {},
    activityShard: 3,
    updatedBucket: 1_795_000_000_000,
    purgeAt: 1_798_020_300,
  };
  const entry = (key: string) => writeEntry(writeIdentity('update', {}, key));

  it('counts the entries of each register, and never shows them', () => {
    const item = {
      ...session,
      [KEY_REGISTER[0]]: entry('a'),
      [KEY_REGISTER[1] as string]: entry('b'),
      [KEY_REGISTER[2] as string]: null,
      [RETRY_REGISTER[0]]: entry('c'),
    };

    const exported = exportOfItem('u', item, 30, CUTOFF);

    expect(exported.rememberedWriteIds).toEqual({ keyed: 2, unkeyed: 1 });
    for (const name of [KEY_REGISTER[0], KEY_REGISTER[1] as string, RETRY_REGISTER[0]]) {
      expect(JSON.stringify(exported)).not.toContain(String(item[name as keyof typeof item]));
    }
  });

  it('shows the stored session with its exact last activity, whether it is live, and the TTL time', () => {
    expect(exportOfItem('u', session, 30, CUTOFF).session).toMatchObject({
      updatedAt: '2026-11-26T10:05:00.000Z',
      expiresAt: '2026-12-26T10:05:00.000Z',
      live: true,
      purgeAt: new Date(1_798_020_300_000).toISOString(),
    });
    expect(exportOfItem('u', session, 30, '2026-12-01T00:00:00.000Z').session?.live).toBe(false);
  });

  it('shows a tombstone as no session, with its deletion and removal times', () => {
    const tombstone = {
      ...session,
      step: undefined,
      booking: undefined,
      context: undefined,
      deletedAt: '2026-11-26T11:00:00.000Z',
    };
    expect(exportOfItem('u', tombstone, 30, CUTOFF)).toEqual({
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
    expect(exportOfItem('u', undefined, 30, CUTOFF)).toEqual({
      userId: 'u',
      session: null,
      tombstone: null,
      rememberedWriteIds: { keyed: 0, unkeyed: 0 },
    });
  });
});
