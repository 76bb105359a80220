/**
 * The one reader of stored images: what it takes from an item, what it ignores, and when a modification
 * changed nothing but activity and storage. The place to adapt, with these cases, when the item changes.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage, onlyActivityChanged, UnreadableImageError } from '../../../lib/events/stored-image.ts';

const image = {
  userId: { S: 'u:1' },
  sessionId: { S: 's-1' },
  source: { S: 'Website' },
  version: { N: '3' },
  createdAt: { S: '2026-12-01T10:00:00.000Z' },
  updatedAt: { S: '2026-12-01T11:20:30.123Z' },
  schemaVersion: { N: '1' },
  step: { S: 'confirm' },
  booking: { M: { name: { S: 'Ada' }, partySize: { N: '2' } } },
  context: { M: { language: { S: 'en' } } },
  // Storage only: index placement, TTL, write registers.
  activityShard: { N: '7' },
  updatedBucket: { N: '1796119200000' },
  purgeAt: { N: '1798000000' },
  k0: { S: 'q7Vd9x0aBcDeFgH' },
  r0: { NULL: true },
};

describe('decodeImage', () => {
  it('reads the session fields, the exact last activity, and nothing of storage', () => {
    expect(decodeImage(image)).toEqual({
      userId: 'u:1',
      sessionId: 's-1',
      source: 'Website',
      version: 3,
      createdAt: '2026-12-01T10:00:00.000Z',
      updatedAt: '2026-12-01T11:20:30.123Z',
      step: 'confirm',
      booking: { name: 'Ada', partySize: 2 },
      context: { language: 'en' },
    });
  });

  it.each([
    ['a newer shape', { N: '2' }],
    ['no shape', undefined],
  ])('refuses an item of %s, as the service does', (_name, schemaVersion) => {
    expect(() => decodeImage({ ...image, schemaVersion })).toThrow(UnreadableImageError);
  });

  it('reads a tombstone: deletedAt set, no data', () => {
    const { step: _s, booking: _b, context: _c, ...rest } = image;
    const tombstone = decodeImage({ ...rest, deletedAt: { S: '2026-12-02T09:00:00.000Z' } });

    expect(tombstone).toMatchObject({
      step: null,
      booking: {},
      context: {},
      deletedAt: '2026-12-02T09:00:00.000Z',
    });
  });

  it.each([
    ['userId', { userId: undefined }],
    ['version', { version: { S: '3' } }],
    ['createdAt', { createdAt: undefined }],
  ])('refuses an image without a readable %s', (_name, change) => {
    expect(() => decodeImage({ ...image, ...change })).toThrow(UnreadableImageError);
  });
});

describe('onlyActivityChanged', () => {
  const before = decodeImage(image);

  it.each([
    ['a refresh of the activity', { ...before, updatedAt: '2026-12-01T12:00:00.000Z' }, true],
    ['a new version', { ...before, version: 4 }, false],
    ['a new lifetime', { ...before, sessionId: 's-2' }, false],
    ['a delete (same version)', { ...before, deletedAt: '2026-12-01T12:00:00.000Z' }, false],
  ])('%s: %s', (_name, after, expected) => {
    expect(onlyActivityChanged(before, after)).toBe(expected);
  });
});
