/**
 * What the events consumer runs on, built once per cold start: the configuration, the logger and the
 * EventBridge client. Separate from lib/handlers/runtime.ts so the consumer loads no DynamoDB client:
 * it reads the stream through its event source mapping and writes only to the bus.
 * Only lib/handlers/events-handler.ts imports this module (the linter enforces it).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { loadConfig } from '../config.ts';
import type { PutEvents } from '../events/publish.ts';

export const config = loadConfig();

export const logger = new Logger({ serviceName: config.serviceName });

/** The SDK retries a throttled or failed call itself (3 attempts); refused entries are ours to retry. */
const eventBridge = new EventBridgeClient({ region: config.region, maxAttempts: 3 });

export const putEvents: PutEvents = async (entries) => {
  const answer = await eventBridge.send(new PutEventsCommand({ Entries: entries }));
  return answer.Entries ?? [];
};
