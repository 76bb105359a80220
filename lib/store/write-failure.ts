/**
 * Why a conditional write failed, decided from the item DynamoDB returned with the failure (ALL_OLD): the
 * item as it was when the condition was evaluated, so there is no second request and no gap in which it
 * could change. Every session write uses this one function.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { preconditionHolds, roomHolds } from './conditions.ts';
import { isLive, readItem, type SessionItem } from './item.ts';
import type { WritePlan } from './session-requests.ts';
import { findRecordedWrite, type RecordedOperation, sameRequest } from './write-register.ts';

export type WriteFailure =
  /** The write is already applied: its own lost answer and the SDK's retry, or a replayed key or callId. */
  | { cause: 'recorded'; item: SessionItem | undefined; replayed: boolean }
  /** The key was first used by an earlier lifetime of the session, since deleted or expired and replaced. */
  | { cause: 'earlier-lifetime' }
  /** The key or callId was used for another request (another operation, input or precondition). */
  | { cause: 'key-reused'; firstOperation: RecordedOperation | undefined }
  /** No live session: none stored, a tombstone, or expired. `item` is what is stored, if anything. */
  | { cause: 'not-live'; item: SessionItem | undefined }
  /** The live session does not match the precondition. */
  | { cause: 'stale'; item: SessionItem }
  /** The stored context has no room for the keys the patch sets. */
  | { cause: 'no-room'; item: SessionItem };

/** The stored item a ConditionalCheckFailedException carries, unmarshalled (the SDK leaves it raw). */
export function failedItem(error: unknown): Record<string, unknown> | undefined {
  const raw = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
  return raw === undefined ? undefined : unmarshall(raw);
}

/**
 * Classifies a failed write from `stored`, the item as it was. `now` decides expiry, as the write's own
 * condition did (`plan.times.cutoff`). A tombstone past its life counts as no item at all, whether or
 * not TTL has removed it yet, so answers do not depend on TTL's timing.
 */
export function classifyFailure(
  stored: Record<string, unknown> | undefined,
  plan: WritePlan,
  now: Date,
): WriteFailure {
  const readable = stored === undefined ? undefined : readItem(stored);
  const item =
    readable?.deletedAt !== undefined && readable.purgeAt * 1000 <= now.getTime() ? undefined : readable;
  const write = plan.write;
  const recorded =
    write === undefined || item === undefined ? undefined : findRecordedWrite(stored, write.writeId);
  if (write !== undefined && recorded !== undefined) {
    // A delete of an earlier lifetime did delete: its answer stays "deleted".
    if (recorded.earlierLifetime && write.operation !== 'delete') return { cause: 'earlier-lifetime' };
    if (!sameRequest(recorded, write)) return { cause: 'key-reused', firstOperation: recorded.operation };
    return { cause: 'recorded', item, replayed: recorded.nonce !== write.nonce };
  }
  if (item === undefined || !isLive(item, plan.times.cutoff)) return { cause: 'not-live', item };
  if (!preconditionHolds(plan.precondition, item)) return { cause: 'stale', item };
  if (plan.room !== undefined && !roomHolds(plan.room, item)) return { cause: 'no-room', item };
  throw new Error('a write failed its condition, yet the stored item satisfies every clause of it');
}
