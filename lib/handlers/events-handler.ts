/**
 * The middleware stack of the events consumer: a batch of DynamoDB stream records in, its events on the
 * bus in record order, and a partial batch response naming the records to deliver again (every record
 * from the first one not wholly published: the stream resumes from the lowest one named).
 * Built from injected pieces (`createEventsHandler`); each piece not given is the consumer runtime's.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Config } from '../config.ts';
import { eventsOf, type MappingOptions, type StreamRecord } from '../events/map-record.ts';
import { type PublishOptions, type PutEvents, publishInOrder, type RecordEvents } from '../events/publish.ts';
import { DAY_MS } from '../store/clock.ts';
import * as runtime from './events-runtime.ts';

export interface EventsHandlerDependencies {
  config: Pick<Config, 'eventBusName' | 'eventsIncludeBooking' | 'inactiveDays'>;
  logger: Logger;
  putEvents: PutEvents;
  /** Attempts and waits for refused entries (tests shorten them). */
  publish?: Pick<PublishOptions, 'maxAttempts' | 'wait'>;
}

/** The stream record's fields the consumer reports by: never the user's id (often a phone number). */
const sequenceNumberOf = (record: StreamRecord) => record.dynamodb?.SequenceNumber ?? '';

/** The consumer's Lambda handler; each dependency not given comes from lib/handlers/events-runtime.ts. */
export function createEventsHandler(dependencies: Partial<EventsHandlerDependencies> = {}) {
  const { config = runtime.config, logger = runtime.logger, putEvents = runtime.putEvents } = dependencies;
  const eventBusName = config.eventBusName;
  if (eventBusName === undefined) throw new Error('Missing required environment variable EVENT_BUS_NAME');
  const mapping: MappingOptions = {
    includeBooking: config.eventsIncludeBooking,
    inactiveMs: config.inactiveDays * DAY_MS,
  };

  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const records: StreamRecord[] = event.Records ?? [];
      const mapped: RecordEvents[] = [];
      let unreadableAt: number | undefined;
      for (const record of records) {
        try {
          const events = eventsOf(record, mapping);
          mapped.push({ userId: events[0]?.detail.userId ?? '', events });
        } catch (error) {
          // Nothing after it is published either: a user's later events must not overtake it.
          unreadableAt = mapped.length;
          logger.error('stream record unreadable', {
            sequenceNumber: sequenceNumberOf(record),
            reason: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown',
          });
          break;
        }
      }
      const outcome = await publishInOrder(mapped, putEvents, { eventBusName, ...dependencies.publish });
      const failedFrom = outcome.failedFrom ?? unreadableAt;
      const failed = failedFrom === undefined ? [] : records.slice(failedFrom);
      const summary = {
        records: records.length,
        published: outcome.published,
        failedRecords: failed.length,
        ...(failed.length > 0
          ? { firstFailedSequenceNumber: sequenceNumberOf(failed[0] as StreamRecord) }
          : {}),
        ...(outcome.errorCodes.length > 0 ? { errorCodes: [...new Set(outcome.errorCodes)] } : {}),
      };
      if (failed.length > 0) logger.warn('events not all published', summary);
      else logger.info('events published', summary);
      return { batchItemFailures: failed.map((record) => ({ itemIdentifier: sequenceNumberOf(record) })) };
    });
}
