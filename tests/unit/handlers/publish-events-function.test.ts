/**
 * The deployed entry point, functions/publish-events.ts, as Lambda loads it: configured from the
 * environment, publishing through the runtime's EventBridge client (mocked below the SDK's send).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../support/lambda-events.ts';
import { recordsOf } from '../../support/stream-fixtures.ts';

describe('functions/publish-events.ts', () => {
  const eventBridge = mockClient(EventBridgeClient);
  afterEach(() => {
    eventBridge.reset();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails to load without EVENT_BUS_NAME, as a misconfigured function fails at cold start', async () => {
    vi.stubEnv('EVENT_BUS_NAME', '');

    await expect(import('../../../functions/publish-events.ts')).rejects.toThrow('EVENT_BUS_NAME');
  });

  it('puts the events of a batch on the configured bus, booking values left out by default', async () => {
    vi.stubEnv('EVENT_BUS_NAME', 'session-service-test');
    eventBridge.on(PutEventsCommand).callsFake(({ Entries }) => ({
      FailedEntryCount: 0,
      Entries: Entries.map((_: unknown, index: number) => ({ EventId: String(index) })),
    }));
    const { handler } = await import('../../../functions/publish-events.ts');

    const response = (await handler(
      { Records: [...recordsOf('create'), ...recordsOf('booking')] },
      lambdaContext(),
    )) as DynamoDBBatchResponse;

    expect(response).toEqual({ batchItemFailures: [] });
    const entries = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries.map((entry) => [entry.EventBusName, entry.DetailType])).toEqual([
      ['session-service-test', 'Session Created'],
      ['session-service-test', 'Booking Changed'],
    ]);
    expect(JSON.stringify(entries)).not.toContain('Ada Lovelace');
  });
});
