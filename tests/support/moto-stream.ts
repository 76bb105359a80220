/**
 * The sessions table with its stream on moto, and a reader that hands out the stream's new records in
 * the shape Lambda delivers them to the consumer (what an event source mapping would pass it).
 */
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { parse } from 'yaml';
import { SERVERLESS_YML, sessionsTableDefinition } from '../../lib/local/table-definition.ts';

export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const MOTO_REGION = 'us-east-1';

/** The table's StreamSpecification as serverless.yml declares it. */
export function streamSpecification(): { StreamViewType: string } {
  const document = parse(readFileSync(SERVERLESS_YML, 'utf8')) as { resources: unknown[] };
  for (const block of document.resources) {
    const table = (block as { Resources?: { SessionsTable?: { Properties: Record<string, unknown> } } })
      ?.Resources?.SessionsTable;
    const spec = table?.Properties.StreamSpecification as { StreamViewType: string } | undefined;
    if (spec) return spec;
  }
  throw new Error('serverless.yml declares no stream on SessionsTable');
}

/** Creates the sessions table from serverless.yml, stream included; answers the stream's ARN. */
export async function createStreamingTable(endpoint: string, tableName: string): Promise<string> {
  const client = new DynamoDBClient({ endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS });
  try {
    const spec = streamSpecification();
    await client.send(
      new CreateTableCommand({
        ...sessionsTableDefinition(tableName),
        StreamSpecification: {
          StreamEnabled: true,
          StreamViewType: spec.StreamViewType as 'NEW_AND_OLD_IMAGES',
        },
      }),
    );
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.LatestStreamArn) throw new Error('the table has no stream');
    return Table.LatestStreamArn;
  } finally {
    client.destroy();
  }
}

/** DynamoDB JSON as Lambda's JSON carries it: binary values in base64. */
function lambdaJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(lambdaJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, lambdaJson(inner)]));
  }
  return value;
}

/** A record from GetRecords, as the event source mapping hands it to the function. */
export function toLambdaRecord(record: SdkStreamRecord, streamArn: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb: {
      ...(lambdaJson(dynamodb) as DynamoDBRecord['dynamodb']),
      ...(ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
    },
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
    eventSourceARN: streamArn,
  } as DynamoDBRecord;
}

/**
 * moto makes an UpdateItem of a missing item in two steps, each with a record: an INSERT of the bare key,
 * then an INSERT of the whole item. DynamoDB writes one INSERT: the first of the pair is dropped.
 */
export function withoutMotoKeyInserts(records: readonly DynamoDBRecord[]): DynamoDBRecord[] {
  const keyOnly = (record: DynamoDBRecord) =>
    record.eventName === 'INSERT' &&
    Object.keys(record.dynamodb?.NewImage ?? {}).length === Object.keys(record.dynamodb?.Keys ?? {}).length;
  return records.filter((record, index) => {
    const next = records[index + 1];
    return !(
      keyOnly(record) &&
      next?.eventName === 'INSERT' &&
      JSON.stringify(next.dynamodb?.Keys) === JSON.stringify(record.dynamodb?.Keys)
    );
  });
}

/** Reads a stream from its start; each `read` answers the records written since the previous one. */
export class StreamReader {
  readonly #client: DynamoDBStreamsClient;
  readonly #streamArn: string;
  #iterator: string | undefined;

  constructor(endpoint: string, streamArn: string) {
    this.#client = new DynamoDBStreamsClient({
      endpoint,
      region: MOTO_REGION,
      credentials: MOTO_CREDENTIALS,
    });
    this.#streamArn = streamArn;
  }

  async read(): Promise<DynamoDBRecord[]> {
    if (this.#iterator === undefined) {
      const { StreamDescription } = await this.#client.send(
        new DescribeStreamCommand({ StreamArn: this.#streamArn }),
      );
      const shards = StreamDescription?.Shards ?? [];
      if (shards.length !== 1) throw new Error(`expected one shard, found ${shards.length}`);
      const { ShardIterator } = await this.#client.send(
        new GetShardIteratorCommand({
          StreamArn: this.#streamArn,
          ShardId: shards[0]?.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.#iterator = ShardIterator;
    }
    const records: DynamoDBRecord[] = [];
    for (;;) {
      const page = await this.#client.send(new GetRecordsCommand({ ShardIterator: this.#iterator }));
      this.#iterator = page.NextShardIterator;
      const batch = page.Records ?? [];
      records.push(...batch.map((record) => toLambdaRecord(record, this.#streamArn)));
      if (batch.length === 0) return withoutMotoKeyInserts(records);
    }
  }

  destroy(): void {
    this.#client.destroy();
  }
}
