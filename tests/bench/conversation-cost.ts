/**
 * Section 8: the write cost of a real chatbot conversation, measured on the stored item. A WhatsApp user
 * books in 40 messages, each a keyed update carrying its message id; the booking fills in and the context
 * holds 5 keys. After every write the stored item is read back and sized by DynamoDB's rules
 * (lib/session/item-size.ts). A write costs 1 WCU per started KB of the larger of the item before and
 * after it, plus the index: 1 WCU to add the first entry, 2 to move it into a new activity bucket.
 */

import { fileURLToPath } from 'node:url';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_ACTIVITY_BUCKET_MS } from '../../lib/config.ts';
import { ensureSessionsTable, startEmbeddedDynamo } from '../../lib/local/embedded-dynamodb.ts';
import { itemSize } from '../../lib/session/item-size.ts';
import type { SessionPatch } from '../../lib/session/schema.ts';
import { createDocumentClient } from '../../lib/store/dynamodb.ts';
import { SessionRepository } from '../../lib/store/session-repository.ts';
import { activityBucketStart } from '../../lib/store/shard.ts';
import { KEY_REGISTER, LIFETIME_BOUNDARIES, RETRY_REGISTER } from '../../lib/store/write-register.ts';

export const CONVERSATION = {
  userId: 'wa:+447700900123',
  messages: 40,
  /** Seconds between messages: 40 messages in 13 minutes. */
  secondsBetween: 20,
} as const;

/** The writes from this one on find both registers at their steady size (the key register full). */
const STEADY_FROM = 21;

const STEPS = [
  'greet',
  'choose_service',
  'choose_date',
  'choose_time',
  'collect_name',
  'collect_phone',
  'collect_email',
  'confirm',
  'booked',
];
const BOOKING = {
  service: 'Haircut',
  date: '2026-12-18',
  time: '14:30',
  partySize: 2,
  name: 'Alex Morgan',
  phone: '+447700900123',
  email: 'alex@example.com',
} as const;

/** What message `index` writes: the step moves on, one booking field a message, the context's 5 keys. */
function patchOf(index: number): SessionPatch {
  const fields = Object.keys(BOOKING) as (keyof typeof BOOKING)[];
  const field = fields[index % fields.length] as keyof typeof BOOKING;
  return {
    step: STEPS[Math.min(STEPS.length - 1, Math.floor(index / 5))] as string,
    booking: { [field]: BOOKING[field] },
    context: {
      lang: 'en',
      intent: 'book',
      slot: '14:30',
      retries: index % 3,
      lastPrompt: `prompt_${index % 7}`,
    },
  };
}

/** A WhatsApp message id of the usual length (about 40 characters). */
const messageId = (index: number) => `wamid.HBgLNDQ3NzAwOTAwMTIzFQIAERgS${String(index).padStart(6, '0')}`;

export interface ConversationCost {
  messages: number;
  /** Stored item after each write, in bytes. */
  itemBytes: number[];
  /** WCU of each write, table and index. */
  wcu: number[];
  largestItemBytes: number;
  wcuPerWrite: number;
  /** Over the writes that find the registers at their steady size. */
  steadyWcuPerWrite: number;
  /** The bytes the write registers take in the final item. */
  registerBytes: number;
}

const REGISTER_ATTRIBUTES = new Set<string>([
  ...KEY_REGISTER,
  ...RETRY_REGISTER,
  ...Object.values(LIFETIME_BOUNDARIES),
]);

const wcuOf = (bytes: number) => Math.ceil(bytes / 1024);

async function storedItem(doc: DynamoDBDocumentClient, userId: string, tableName: string) {
  const { Item } = await doc.send(
    new GetCommand({ TableName: tableName, Key: { userId }, ConsistentRead: true }),
  );
  return Item;
}

/**
 * Runs the conversation against `doc`'s table. It starts half an hour before the end of the user's
 * activity bucket, so it crosses into the next one: the index entry moves once, as it would for a
 * conversation that spans the hour.
 */
export async function measureConversation(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<ConversationCost> {
  const { userId, messages, secondsBetween } = CONVERSATION;
  const bucketStart = activityBucketStart(
    userId,
    new Date('2026-12-07T10:00:00.000Z'),
    DEFAULT_ACTIVITY_BUCKET_MS,
  );
  let now = bucketStart + DEFAULT_ACTIVITY_BUCKET_MS - 6 * 60_000;
  const sessions = new SessionRepository(doc, { tableName, inactiveDays: 30, clock: () => new Date(now) });

  await sessions.createOrGet(userId, 'Chatbot', { callId: 'conversation-start' });
  let before = (await storedItem(doc, userId, tableName)) ?? {};
  const itemBytes: number[] = [];
  const wcu: number[] = [];
  for (let index = 0; index < messages; index++) {
    now += secondsBetween * 1000;
    await sessions.update(userId, patchOf(index), {
      idempotencyKey: messageId(index),
      callId: `call-${index}`,
    });
    const after = (await storedItem(doc, userId, tableName)) ?? {};
    const movedEntry =
      after.updatedBucket !== before.updatedBucket || after.activityShard !== before.activityShard;
    itemBytes.push(itemSize(after));
    wcu.push(wcuOf(Math.max(itemSize(before), itemSize(after))) + (movedEntry ? 2 : 0));
    before = after;
  }
  const registerBytes = itemSize(
    Object.fromEntries(Object.entries(before).filter(([name]) => REGISTER_ATTRIBUTES.has(name))),
  );
  const steady = wcu.slice(STEADY_FROM - 1);
  return {
    messages,
    itemBytes,
    wcu,
    largestItemBytes: Math.max(...itemBytes),
    wcuPerWrite: wcu.reduce((sum, units) => sum + units, 0) / wcu.length,
    steadyWcuPerWrite: steady.reduce((sum, units) => sum + units, 0) / steady.length,
    registerBytes,
  };
}

export function conversationSection(
  cost: ConversationCost,
  budgets: { itemBytes: number; wcuPerWrite: number },
): string {
  return `## 8. Write cost of a 40-message chatbot conversation (measured)

A WhatsApp user books in ${cost.messages} messages, ${CONVERSATION.secondsBetween} s apart: each message is an update keyed by
its message id; the booking fills in (7 fields) and the context holds 5 keys. After every write the stored
item is read back and sized by DynamoDB's rules; a write costs 1 WCU per started KB of the larger of the item
before and after it, plus 2 WCU when the index entry moves into a new activity bucket (once here: the
conversation crosses the hour).

| Figure | Value | Budget |
| --- | --- | --- |
| Largest stored item | ${cost.largestItemBytes} bytes | ≤ ${budgets.itemBytes} bytes |
| Of which the write registers (final item) | ${cost.registerBytes} bytes | |
| WCU per write, writes ${STEADY_FROM}–${cost.messages} (registers full) | ${cost.steadyWcuPerWrite.toFixed(2)} | ≤ ${budgets.wcuPerWrite} |
| WCU per write, all ${cost.messages} writes | ${cost.wcuPerWrite.toFixed(2)} | |

Rerun: \`npx node tests/bench/conversation-cost.ts\`.`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dynamo = await startEmbeddedDynamo();
  try {
    await ensureSessionsTable(dynamo.endpoint, 'conversation-cost');
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    const cost = await measureConversation(doc, 'conversation-cost');
    console.log(conversationSection(cost, { itemBytes: 800, wcuPerWrite: 1.2 }));
    console.log(`item bytes after each write: ${cost.itemBytes.join(' ')}`);
    doc.destroy();
  } finally {
    await dynamo.close();
  }
}
