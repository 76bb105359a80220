/**
 * The conditions of the session writes, each beside its reading of a stored item. A write sends the
 * expression; when it fails, DynamoDB returns the item as it was (ALL_OLD), and the same rule read in
 * JavaScript tells which clause failed. Keeping both here, side by side, is what keeps them one rule.
 */
import { SCHEMA_VERSION, type SessionItem } from './item.ts';

/** The item is a session of a shape this version reads, not a tombstone, and active since `:cutoff`. */
export const IS_LIVE =
  'attribute_exists(#userId) AND #schemaVersion <= :schemaVersion AND attribute_not_exists(#deletedAt) AND #updatedAt >= :cutoff';

/** Missing, or a tombstone or expired session of a shape this version reads: what a new session may replace. */
export const IS_DEAD_OR_MISSING =
  'attribute_not_exists(#userId) OR (#schemaVersion <= :schemaVersion AND (attribute_exists(#deletedAt) OR #updatedAt < :cutoff))';

export const CURRENT_SHAPE = { ':schemaVersion': SCHEMA_VERSION } as const;

/** What a write expects of the session: If-Match, or `expectedSessionId` / `expectedVersion` on invoke. */
export interface Precondition {
  expectedSessionId?: string | undefined;
  /** Only a version DynamoDB can hold exactly; any other never matches, so it gives a conflict. */
  expectedVersion?: number | undefined;
}

/** The precondition's clauses and values; an impossible version (beyond 2^53) becomes 0, which none has. */
export function preconditionExpression(precondition: Precondition): {
  clauses: string[];
  values: Record<string, unknown>;
} {
  const clauses: string[] = [];
  const values: Record<string, unknown> = {};
  if (precondition.expectedSessionId !== undefined) {
    clauses.push('#sessionId = :expectedSessionId');
    values[':expectedSessionId'] = precondition.expectedSessionId;
  }
  if (precondition.expectedVersion !== undefined) {
    clauses.push('#version = :expectedVersion');
    values[':expectedVersion'] = storableVersion(precondition.expectedVersion);
  }
  return { clauses, values };
}

const storableVersion = (version: number) => (Number.isSafeInteger(version) ? version : 0);

/** The same precondition, read against a stored session. */
export function preconditionHolds(precondition: Precondition, item: SessionItem): boolean {
  return (
    (precondition.expectedSessionId === undefined || item.sessionId === precondition.expectedSessionId) &&
    (precondition.expectedVersion === undefined ||
      item.version === storableVersion(precondition.expectedVersion))
  );
}

/**
 * Room in the stored context for the keys a patch sets: the stored context holds at most
 * `maxKeys - setKeys.length` keys, unless every key set already exists (then the count cannot grow).
 */
export interface RoomRule {
  /** The top-level context keys the patch sets (not those it removes). */
  setKeys: readonly string[];
  maxKeys: number;
}

/** The room rule as a condition, naming each set key through the placeholder the update gave it. */
export function roomExpression(
  rule: RoomRule,
  placeholders: readonly string[],
): { clause: string; values: Record<string, unknown> } {
  const exist = placeholders.map((placeholder) => `attribute_exists(#context.${placeholder})`).join(' AND ');
  return {
    clause: `size(#context) <= :contextRoom OR (${exist})`,
    values: { ':contextRoom': rule.maxKeys - rule.setKeys.length },
  };
}

/** The same rule, read against a stored session. */
export function roomHolds(rule: RoomRule, item: SessionItem): boolean {
  const context = item.context ?? {};
  return (
    Object.keys(context).length <= rule.maxKeys - rule.setKeys.length ||
    rule.setKeys.every((key) => Object.hasOwn(context, key))
  );
}
