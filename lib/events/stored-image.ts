/**
 * The one place that reads a stored item as the stream shows it. Everything the events need from an
 * image, and every rule that depends on the item's format, is here: the mapping (./map-record.ts) works
 * on `StoredSession` only. When the stored format changes, this module is the one to adapt.
 *
 * The item (lib/store/item.ts): the public fields (`updatedAt` is the exact last activity), `deletedAt`
 * on a tombstone, and storage-only attributes (index shard and bucket, TTL, write registers) that the
 * events ignore. An image is read through the store's `readItem`, so an older shape is upgraded and a
 * newer one refused, exactly as the service reads it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Booking, Context, Source } from '../session/schema.ts';
import { readItem, type SessionItem } from '../store/item.ts';

/** A stream image as Lambda delivers it: attribute name to DynamoDB JSON. */
export type StreamImage = Record<string, unknown>;

/** What the events read of one image of a session item: its public fields and tombstone mark. */
export type StoredSession = Pick<
  SessionItem,
  | 'userId'
  | 'sessionId'
  | 'source'
  | 'version'
  | 'createdAt'
  | 'updatedAt'
  | 'step'
  | 'booking'
  | 'context'
  | 'deletedAt'
>;

/** The attributes decoded; storage-only ones (registers, shard, bucket, TTL) are never unmarshalled. */
const READ = [
  'userId',
  'sessionId',
  'source',
  'version',
  'createdAt',
  'updatedAt',
  'schemaVersion',
  'step',
  'booking',
  'context',
  'deletedAt',
] as const;

/** Thrown for an image that is not a session item: the record is reported failed, never guessed at. */
export class UnreadableImageError extends Error {
  override readonly name = 'UnreadableImageError';
}

function text(item: Record<string, unknown>, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw new UnreadableImageError(`the image has no string ${name}`);
  return value;
}

function object<T>(value: unknown): T {
  return (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as T;
}

/** Decodes one image; throws UnreadableImageError when it lacks what every session item holds. */
export function decodeImage(image: StreamImage): StoredSession {
  const picked: Record<string, AttributeValue> = {};
  for (const name of READ) {
    if (image[name] !== undefined) picked[name] = image[name] as AttributeValue;
  }
  let item: Record<string, unknown>;
  try {
    item = readItem(unmarshall(picked)) as unknown as Record<string, unknown>;
  } catch (error) {
    throw new UnreadableImageError(`the image cannot be read: ${(error as Error).message}`);
  }
  const version = item.version;
  if (typeof version !== 'number') throw new UnreadableImageError('the image has no numeric version');
  const step = item.step;
  const stored: StoredSession = {
    userId: text(item, 'userId'),
    sessionId: text(item, 'sessionId'),
    source: text(item, 'source') as Source,
    version,
    createdAt: text(item, 'createdAt'),
    updatedAt: text(item, 'updatedAt'),
    step: typeof step === 'string' ? step : null,
    booking: object<Booking>(item.booking),
    context: object<Context>(item.context),
  };
  if (typeof item.deletedAt === 'string') stored.deletedAt = item.deletedAt;
  return stored;
}

/**
 * Whether a modification left everything but activity and storage as it was: a create-or-get that
 * found the live session, or a move of its index entry. Same lifetime, same version, same tombstone
 * state. (A write that the SDK or a key repeated fails its condition and leaves no stream record.)
 */
export function onlyActivityChanged(before: StoredSession, after: StoredSession): boolean {
  return (
    before.sessionId === after.sessionId &&
    before.version === after.version &&
    before.deletedAt === after.deletedAt
  );
}

/**
 * DynamoDB's Time to Live deletes items as this principal (DynamoDB Developer Guide, "Streams and Time
 * to Live"); every other removal is a DeleteItem of the service's own roles.
 */
export const TTL_PRINCIPAL = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/**
 * Slack for the stream record's time, which DynamoDB rounds down to the second, and for the clocks of
 * the writer and of DynamoDB: a removal this close to the end of the window counts as an expiry.
 */
export const EXPIRY_MARGIN_MS = 60_000;

/** What a removal of an item was, as far as its old image and the record tell. */
export type Removal = 'expired' | 'erased' | 'tombstone-purged';

/**
 * Tells an expiry from an erasure. The sweep deletes only items inactive longer than the window (its
 * condition checks the exact last activity against its cutoff), and TTL removes items a day past it; an
 * erasure removes a live item, or a recent tombstone, at once. So a removal by TTL, or of an item
 * inactive for at least the window (less EXPIRY_MARGIN_MS) when the record was made, is an expiry (of a
 * tombstone: a purge, the delete was already published); any other removal is an erasure.
 */
export function classifyRemoval(
  old: StoredSession,
  removal: { removedAt: Date; byTtl: boolean; inactiveMs: number },
): Removal {
  const inactiveFor = removal.removedAt.getTime() - Date.parse(old.updatedAt);
  const expired = removal.byTtl || inactiveFor >= removal.inactiveMs - EXPIRY_MARGIN_MS;
  if (!expired) return 'erased';
  return old.deletedAt === undefined ? 'expired' : 'tombstone-purged';
}

/** Whether the record's identity is DynamoDB's TTL service. */
export function isTtlRemoval(userIdentity: unknown): boolean {
  const identity = userIdentity as { type?: unknown; principalId?: unknown } | undefined;
  return identity?.type === TTL_PRINCIPAL.type && identity.principalId === TTL_PRINCIPAL.principalId;
}
