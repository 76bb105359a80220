/**
 * The write cost with activity buckets, from the capacity model (`lib/capacity/model.ts`): DynamoDB's
 * published rules applied to the service's writes, same bucket against new bucket, and a typical
 * conversation. Modelled, not measured: dynalite leaves the index out of ConsumedCapacity (section 2).
 */

import { POLICY } from '../../lib/capacity/constants.ts';
import { type CapacityPlan, planCapacity } from '../../lib/capacity/model.ts';

/** The target workload of docs/CAPACITY.md. */
export const TARGET_WORKLOAD = {
  sessions: 100_000_000,
  writesPerSecond: 20_000,
  readsPerSecond: 5_000,
  expiringPerDay: 5_000_000,
} as const;

export function modelledWriteCost(): CapacityPlan {
  return planCapacity(TARGET_WORKLOAD);
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');

export function writeCostSection(plan: CapacityPlan, budget: number, heading = '## 8.'): string {
  const { writeCost: cost, index } = plan;
  const k = POLICY.writesPerConversation;
  const crossing = POLICY.conversationMinutes / POLICY.bucketMinutes;
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const rows = [
    ['A write in the same bucket (update, clear, create-or-get of a live session)', 1, 0, cost.sameBucketWcu],
    ['A write in a new bucket: the index entry moves (a delete and a put)', 1, 2, cost.newBucketWcu],
    ['A new session: its first index entry', 1, 1, cost.newSessionWcu],
    [
      'A delete by the user: an UpdateItem leaving a tombstone, in the bucket of the last write',
      1,
      0,
      cost.deleteWcu,
    ],
    [
      "The sweep's removal of an expired session or a tombstone (DeleteItem): the entry goes",
      1,
      1,
      cost.sweepDeleteWcu,
    ],
    [
      `A conversation of ${k} writes in ${POLICY.conversationMinutes} minutes, inside one bucket`,
      k,
      2,
      `${k + 2} (${cost.conversationInOneBucketWcuPerWrite.toFixed(2)} per write)`,
    ],
    [
      `The same, counting the ${POLICY.conversationMinutes}/${POLICY.bucketMinutes} chance that it crosses into the next hour`,
      k,
      (2 * (1 + crossing)).toFixed(2),
      `${(k + 2 * (1 + crossing)).toFixed(2)} (${cost.conversationExpectedWcuPerWrite.toFixed(2)} per write)`,
    ],
  ];
  return `${heading} Write cost with activity buckets (modelled)

The \`byUpdatedAt\` index's sort key holds the start of the session's activity bucket (one hour), so a
write changes an index key only when the session enters a new bucket; DynamoDB charges no index write
for a write that changes no index key attribute, 1 WCU to add or remove an entry, and 2 to move one.
Items are under 1 KB (section 2), so a table write is 1 WCU. From \`planCapacity\` in
\`lib/capacity/model.ts\`; rerun: \`npm run capacity -- --sessions 100000000 --writes-per-second 20000
--reads-per-second 5000 --expiring-per-day 5000000\`.

${line(['Write', 'Table WCU', 'byUpdatedAt index WCU', 'Total WCU'])}
${line(['---', '---', '---', '---'])}
${rows.map(line).join('\n')}

Budget: a typical conversation costs at most ${budget} WCU per write on average, against ${(3).toFixed(2)} when every
write moved the entry. At ${count(TARGET_WORKLOAD.writesPerSecond)} writes/s the index takes ${count(index.averageWriteUnits)} WCU/s
(${count(index.averageMovesPerSecond)} sessions crossing into a new bucket per second). Each user's buckets start at an offset of
their own within the hour, so the crossings are spread evenly in time: with one boundary for every session,
each active session's next write after it would move its entry, ${count(index.alignedBoundaryWriteUnits)} WCU/s for about a minute.
docs/CAPACITY.md sizes the shards for the crossings plus the sweep's deletes.`;
}
