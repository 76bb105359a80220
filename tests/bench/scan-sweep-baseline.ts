/**
 * THE BASELINE, not the service's sweep: how connect-dynamodb's `reap` and several other session
 * stores expire sessions. A Scan of the whole table with a FilterExpression on the last activity
 * (following every page), then unconditional BatchWriteItem deletes of what matched, 25 per batch.
 * It exists only so the benchmark can put the index-based sweep side by side with it.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from './dynamo.ts';

export interface ScanSweepReport {
  /** Items DynamoDB read to answer the Scan: the whole table, whatever the filter kept. */
  scanned: number;
  /** Items the filter kept, all of them deleted. */
  matched: number;
  pages: number;
  /** BatchWriteItem requests sent, resends of UnprocessedItems included. */
  deleteRequests: number;
  /** Sum of `ConsumedCapacity.CapacityUnits` of the Scan pages, as DynamoDB returned it. */
  consumedReadCapacity: number;
  durationMs: number;
}

/**
 * Deletes every item of `table` whose `updatedAt` is before `cutoff`. Reading a page and deleting the
 * previous page's matches overlap, as in connect-dynamodb. Unlike the service's sweep, a user who comes
 * back between the Scan and the delete loses their session: BatchWriteItem takes no condition.
 */
export async function scanSweep(
  doc: DynamoDBDocumentClient,
  table: string,
  cutoff: string,
  concurrency = 16,
): Promise<ScanSweepReport> {
  const started = performance.now();
  const report: ScanSweepReport = {
    scanned: 0,
    matched: 0,
    pages: 0,
    deleteRequests: 0,
    consumedReadCapacity: 0,
    durationMs: 0,
  };
  const deletes: Promise<{ requests: number }>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#updatedAt < :cutoff',
        ProjectionExpression: '#userId',
        ExpressionAttributeNames: { '#updatedAt': 'updatedAt', '#userId': 'userId' },
        ExpressionAttributeValues: { ':cutoff': cutoff },
        ReturnConsumedCapacity: 'TOTAL',
        ExclusiveStartKey: startKey,
      }),
    );
    report.pages++;
    report.scanned += page.ScannedCount ?? 0;
    report.consumedReadCapacity += page.ConsumedCapacity?.CapacityUnits ?? 0;
    const keys = (page.Items ?? []).map((item) => ({ DeleteRequest: { Key: { userId: item.userId } } }));
    report.matched += keys.length;
    if (keys.length > 0) deletes.push(batchWrite(doc, table, keys, concurrency));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  for (const done of await Promise.all(deletes)) report.deleteRequests += done.requests;
  report.durationMs = performance.now() - started;
  return report;
}
