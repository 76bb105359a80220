/**
 * The events end to end on moto: the repository writes through moto's DynamoDB, the consumer's handler
 * gets the records of moto's stream (as the event source mapping would pass them), puts the events on
 * moto's EventBridge, and a rule routes them to an SQS queue that the test reads. Where `moto_server` is
 * not installed the test says so and reports itself skipped; .ci/run requires it on CI.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf } from '../../../lib/events/map-record.ts';
import type { PutEvents } from '../../../lib/events/publish.ts';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../../lib/events/session-events.ts';
import { createEventsHandler } from '../../../lib/handlers/events-handler.ts';
import { DAY_MS } from '../../../lib/store/clock.ts';
import { createDocumentClient } from '../../../lib/store/dynamodb.ts';
import { SessionRepository } from '../../../lib/store/session-repository.ts';
import { lambdaContext } from '../../support/lambda-events.ts';
import { type Moto, motoPython, startMoto } from '../../support/moto.ts';
import {
  createStreamingTable,
  MOTO_CREDENTIALS,
  MOTO_REGION,
  StreamReader,
} from '../../support/moto-stream.ts';

const PYTHON = motoPython();
const MOTO_MISSING =
  PYTHON === undefined ? 'moto_server is not on the PATH (pip install "moto[server]")' : undefined;
const TABLE = 'session-service-e2e-sessions';
const BUS = 'session-service-e2e';
const INACTIVE_DAYS = 30;

interface Delivered {
  id: string;
  'detail-type': string;
  source: string;
  detail: { eventId: string; userId: string; sessionId: string; version: number; [field: string]: unknown };
}

describe('lifecycle events on moto: repository → stream → consumer → EventBridge → rule → SQS', () => {
  let moto: Moto;
  let doc: DynamoDBDocumentClient;
  let reader: StreamReader;
  let sqs: SQSClient;
  let eventBridge: EventBridgeClient;
  let queueUrl: string;
  let sessions: SessionRepository;
  let consume: (records: DynamoDBRecord[]) => Promise<DynamoDBBatchResponse>;

  beforeAll(async () => {
    if (MOTO_MISSING) {
      console.warn(`events end-to-end test skipped: ${MOTO_MISSING}`);
      return;
    }
    moto = await startMoto(PYTHON);
    const client = { endpoint: moto.endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS };
    const streamArn = await createStreamingTable(moto.endpoint, TABLE);
    doc = createDocumentClient({ endpoint: moto.endpoint, region: MOTO_REGION, maxAttempts: 1 });
    sessions = new SessionRepository(doc, { tableName: TABLE, inactiveDays: INACTIVE_DAYS });
    reader = new StreamReader(moto.endpoint, streamArn);

    eventBridge = new EventBridgeClient(client);
    sqs = new SQSClient(client);
    await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'session-events' }))).QueueUrl as string;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await eventBridge.send(
      new PutRuleCommand({
        Name: 'all-session-events',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
      }),
    );
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: 'all-session-events',
        EventBusName: BUS,
        Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }],
      }),
    );

    const putEvents: PutEvents = async (entries) =>
      (await eventBridge.send(new PutEventsCommand({ Entries: entries }))).Entries ?? [];
    const handler = createEventsHandler({
      config: { eventBusName: BUS, eventsIncludeBooking: false, inactiveDays: INACTIVE_DAYS },
      logger: new Logger({ serviceName: 'session-service', logLevel: 'ERROR' }),
      putEvents,
    });
    consume = (records) => handler({ Records: records }, lambdaContext()) as Promise<DynamoDBBatchResponse>;
  }, 60_000);

  afterAll(async () => {
    reader?.destroy();
    doc?.destroy();
    sqs?.destroy();
    eventBridge?.destroy();
    await moto?.stop();
  });

  /** Every message the queue holds now, as the events they carry. */
  async function drainQueue(): Promise<Delivered[]> {
    const delivered: Delivered[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return delivered;
      delivered.push(...Messages.map((message) => JSON.parse(message.Body as string) as Delivered));
    }
  }

  it('delivers each change of two users to the queue, in order per user, with the ids the mapping gives', async (ctx) => {
    if (MOTO_MISSING) ctx.skip(MOTO_MISSING);
    const ada = 'e2e:ada';
    const alan = 'e2e:alan';

    await sessions.createOrGet(ada, 'Chatbot');
    await sessions.createOrGet(alan, 'Website');
    await sessions.update(ada, { step: 'choose-service' });
    await sessions.createOrGet(ada, 'Chatbot');
    await sessions.update(alan, { booking: { service: 'haircut', name: 'Alan Turing' } });
    await sessions.update(ada, { step: 'confirm', booking: { date: '2026-12-24' } });
    await sessions.update(ada, { context: { language: 'en' } });
    await sessions.clear(ada);
    await sessions.delete(alan);
    const records = await reader.read();
    const response = await consume(records);
    const delivered = await drainQueue();

    expect(records).toHaveLength(9);
    expect(response).toEqual({ batchItemFailures: [] });
    const byUser = (userId: string) =>
      delivered
        .filter((event) => event.detail.userId === userId)
        .map((event) => [event['detail-type'], event.detail.version]);
    expect(byUser(ada)).toEqual([
      [DETAIL_TYPES.created, 1],
      [DETAIL_TYPES.stepChanged, 2],
      [DETAIL_TYPES.stepChanged, 3],
      [DETAIL_TYPES.bookingChanged, 3],
      [DETAIL_TYPES.cleared, 5],
    ]);
    expect(byUser(alan)).toEqual([
      [DETAIL_TYPES.created, 1],
      [DETAIL_TYPES.bookingChanged, 2],
      [DETAIL_TYPES.deleted, 2],
    ]);
    const mapped = records.flatMap((record) =>
      eventsOf(record, { includeBooking: false, inactiveMs: INACTIVE_DAYS * DAY_MS }),
    );
    expect(delivered.map((event) => event.detail.eventId)).toEqual(
      mapped.map((event) => event.detail.eventId),
    );
    expect(new Set(delivered.map((event) => event.source))).toEqual(new Set([EVENT_SOURCE]));
    expect(JSON.stringify(delivered)).not.toContain('Alan Turing');
  });

  it('on a moto serving one request at a time, 50 concurrent create-or-gets make one session and one event', async (ctx) => {
    if (MOTO_MISSING) ctx.skip(MOTO_MISSING);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => sessions.createOrGet('e2e:race', 'Website')),
    );
    const response = await consume(await reader.read());
    const delivered = await drainQueue();

    expect(new Set(outcomes.map((outcome) => outcome.session.sessionId)).size).toBe(1);
    expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(delivered.map((event) => event['detail-type'])).toEqual([DETAIL_TYPES.created]);
  });

  it('publishes a redelivered batch again with the same event ids, so a consumer drops the copies', async (ctx) => {
    if (MOTO_MISSING) ctx.skip(MOTO_MISSING);
    await sessions.createOrGet('e2e:grace', 'Website');
    await sessions.update('e2e:grace', { step: 'choose-date' });
    const records = await reader.read();

    await consume(records);
    await consume(records);
    const delivered = await drainQueue();

    expect(delivered).toHaveLength(4);
    expect(new Set(delivered.map((event) => event.id)).size).toBe(4);
    expect(new Set(delivered.map((event) => event.detail.eventId)).size).toBe(2);
  });
});
