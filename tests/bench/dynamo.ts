/**
 * DynamoDB pieces the benchmarks share: item sizes by DynamoDB's published rules, a middleware that
 * records what each request consumed, and fast seeding with BatchWriteItem.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { aroundCommands } from '../support/sdk-middleware.ts';

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Bytes of a number: one per two significant digits, plus one. */
function numberBytes(value: number): number {
  const digits = Math.abs(value).toExponential().replace(/e.*$/, '').replace('.', '').replace(/0+$/, '');
  return digits === '' ? 1 : Math.ceil(digits.length / 2) + 1;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number') return numberBytes(value);
  if (value === null || typeof value === 'boolean') return 1;
  if (Array.isArray(value))
    return 3 + value.reduce((total: number, entry) => total + 1 + valueBytes(entry), 0);
  if (typeof value === 'object') {
    // A map costs 3 bytes, then 1 byte per element on top of the element's name and value.
    return (
      3 +
      Object.entries(value).reduce(
        (total, [name, entry]) => total + 1 + utf8Bytes(name) + valueBytes(entry),
        0,
      )
    );
  }
  return 0;
}

/** The size DynamoDB bills an item at: attribute names plus values, by its published rules. */
export function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (total, [name, value]) => total + utf8Bytes(name) + valueBytes(value),
    0,
  );
}

/** Read units of one Query or Scan page: its bytes rounded up to 4 KB, halved when eventually consistent. */
export function readUnits(bytes: number, consistent: boolean): number {
  return Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
}

/** Write units of one item write: its bytes rounded up to 1 KB (the larger of the old and new item). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

export interface ObservedRequest {
  command: string;
  /** `ConsumedCapacity.CapacityUnits` as the DynamoDB endpoint answered it; undefined when absent. */
  reportedUnits: number | undefined;
  items: Record<string, unknown>[];
  scannedCount: number | undefined;
}

/**
 * Records every command a DocumentClient completes (after the SDK's retries), with the capacity the
 * endpoint reported and the items it returned, unmarshalled (tests/support/sdk-middleware.ts).
 */
export function observeRequests(doc: DynamoDBDocumentClient) {
  const seen: ObservedRequest[] = [];
  aroundCommands(doc, async ({ operation, send }) => {
    const output = (await send()) as {
      ConsumedCapacity?: { CapacityUnits?: number };
      Items?: Record<string, unknown>[];
      ScannedCount?: number;
    };
    seen.push({
      command: operation,
      reportedUnits: output.ConsumedCapacity?.CapacityUnits,
      items: output.Items ?? [],
      scannedCount: output.ScannedCount,
    });
    return output;
  });
  return {
    get seen(): readonly ObservedRequest[] {
      return seen;
    },
    reset() {
      seen.length = 0;
    },
  };
}

const BATCH = 25;

/**
 * Sends `writes` in BatchWriteItem calls of 25, `concurrency` at a time, resending UnprocessedItems
 * with a short backoff until none is left.
 */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  table: string,
  writes: Record<string, unknown>[],
  concurrency = 8,
): Promise<{ requests: number }> {
  let requests = 0;
  let next = 0;
  async function worker(): Promise<void> {
    while (next < writes.length) {
      let pending = writes.slice(next, next + BATCH);
      next += BATCH;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 20 * 2 ** attempt)));
        requests++;
        const { UnprocessedItems } = await doc.send(
          new BatchWriteCommand({ RequestItems: { [table]: pending as never } }),
        );
        pending = (UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests };
}

/** Puts `items` into `table` with BatchWriteItem. */
export function putItems(doc: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]) {
  return batchWrite(
    doc,
    table,
    items.map((Item) => ({ PutRequest: { Item } })),
  );
}
