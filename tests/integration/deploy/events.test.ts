/**
 * The lifecycle events in the packaged template (lib/deploy/events.cjs and serverless.yml): the table's
 * stream, the consumer and its event source mapping, the bus and its policy, the dead-letter queue, the
 * alarms, and `eventsIncludeBooking`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { packageService, REQUIRED_SETTINGS, type Template } from '../../support/package-service.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:on-call';
/** The required settings, with both tiers' topics created by the stack. */
const { ticketTopicArn: _, ...PAGE_AND_PEOPLE } = REQUIRED_SETTINGS;
const CREATED_TOPICS = { ...PAGE_AND_PEOPLE, ticketEmail: 'team@example.com' };

function resource(template: Template, logicalId: string) {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`the template has no resource ${logicalId}`);
  return found;
}
const props = <T = Record<string, unknown>>(template: Template, logicalId: string) =>
  resource(template, logicalId).Properties as T;
const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, candidate]) => candidate.Type === type);

interface Statement {
  Sid?: string;
  Effect: string;
  Principal: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

describe('lifecycle events in the packaged template', () => {
  /** prod with its required settings: no booking values, ticket topic created for the stage. */
  let prod: Template;
  /** prod with booking values and an existing ticket topic. */
  let withBooking: Template;

  beforeAll(async () => {
    [prod, withBooking] = await Promise.all([
      packageService({ stage: 'prod', params: CREATED_TOPICS }),
      packageService({
        stage: 'prod',
        params: { ...REQUIRED_SETTINGS, eventsIncludeBooking: 'true', ticketTopicArn: TOPIC_ARN },
      }),
    ]);
  }, 240_000);

  it('streams every change of the sessions table with its old and new image', () => {
    expect(props(prod, 'SessionsTable').StreamSpecification).toEqual({
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
  });

  describe('the consumer', () => {
    it('runs publish-events with the bus name and eventsIncludeBooking in its environment', () => {
      const fn = props<{
        Handler: string;
        Environment: { Variables: Record<string, string> };
        Role: unknown;
      }>(prod, 'PublishEventsLambdaFunction');

      expect(fn.Handler).toBe('functions/publish-events.handler');
      expect(fn.Environment.Variables).toMatchObject({
        EVENT_BUS_NAME: 'session-service-prod',
        EVENTS_INCLUDE_BOOKING: 'false',
      });
      expect(fn.Role).toEqual({ 'Fn::GetAtt': ['PublishEventsRole', 'Arn'] });
    });

    it('puts booking values in events only when eventsIncludeBooking is true', () => {
      const fn = props<{ Environment: { Variables: Record<string, string> } }>(
        withBooking,
        'PublishEventsLambdaFunction',
      );

      expect(fn.Environment.Variables.EVENTS_INCLUDE_BOOKING).toBe('true');
    });

    it('reads the stream in order per shard, reports partial batches, bisects, retries a bounded number of times and dead-letters', () => {
      const mappings = ofType(prod, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(1);
      const mapping = props(prod, 'PublishEventsStreamMapping');

      expect(mapping).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': ['SessionsTable', 'StreamArn'] },
        FunctionName: { Ref: 'PublishEventsLambdaFunction' },
        StartingPosition: 'LATEST',
        ParallelizationFactor: 1,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } } },
      });
      expect(mapping.MaximumRetryAttempts).toBeGreaterThanOrEqual(1);
      expect(mapping.MaximumRetryAttempts).toBeLessThanOrEqual(10);
      // Bounded below the stream's 24 hours, so a record given up on can still be read again.
      expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(mapping.MaximumRecordAgeInSeconds).toBeLessThan(24 * 3600);
    });

    it('filters on the kind of change and the table key, as JSON patterns', () => {
      const { Filters } = props<{ FilterCriteria: { Filters: { Pattern: string }[] } }>(
        prod,
        'PublishEventsStreamMapping',
      ).FilterCriteria;

      expect(Filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
        {
          eventName: ['INSERT', 'MODIFY', 'REMOVE'],
          dynamodb: { Keys: { userId: { S: [{ exists: true }] } } },
        },
      ]);
    });
  });

  describe('the bus', () => {
    it("is the stage's own, named session-service-<stage>", () => {
      expect(props(prod, 'EventBus').Name).toBe('session-service-prod');
    });

    it('lets only the account manage rules on it, and denies every other account', () => {
      const statements = props<{ Policy: { Statement: Statement[] } }>(prod, 'EventBus').Policy.Statement;
      const allows = statements.filter((statement) => statement.Effect === 'Allow');
      const denies = statements.filter((statement) => statement.Effect === 'Deny');

      expect(allows).toHaveLength(1);
      expect(allows[0]?.Principal).toEqual({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
        AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' },
      });
      expect(allows[0]?.Action).not.toContain('events:PutEvents');
      expect(denies).toHaveLength(1);
      expect(denies[0]).toMatchObject({
        Principal: '*',
        Action: 'events:*',
        Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
      });
    });
  });

  it('keeps the records it gives up on in an encrypted queue for 14 days', () => {
    expect(props(prod, 'EventsDeadLetterQueue')).toMatchObject({
      QueueName: 'session-service-prod-events-dlq',
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
  });

  describe('the alarms', () => {
    it.each([
      [
        'EventsIteratorAgeAlarm',
        'AWS/Lambda',
        'IteratorAge',
        { FunctionName: { Ref: 'PublishEventsLambdaFunction' } },
        300_000,
      ],
      [
        'EventsDeadLetterAlarm',
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        { QueueName: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'QueueName'] } },
        0,
      ],
    ])(
      '%s watches %s %s above the stage threshold',
      (logicalId, namespace, metric, dimensions, threshold) => {
        const alarm = props<{
          Namespace: string;
          MetricName: string;
          Dimensions: { Name: string; Value: unknown }[];
          Threshold: number;
          Statistic: string;
          AlarmActions: unknown[];
          OKActions: unknown[];
          AlarmDescription: string;
        }>(prod, logicalId);

        expect(resource(prod, logicalId).Type).toBe('AWS::CloudWatch::Alarm');
        expect(alarm).toMatchObject({
          Namespace: namespace,
          MetricName: metric,
          Statistic: 'Maximum',
          Threshold: threshold,
        });
        expect(Object.fromEntries(alarm.Dimensions.map(({ Name, Value }) => [Name, Value]))).toEqual(
          dimensions,
        );
        // A ticket: records wait, customers see nothing yet.
        expect(alarm.AlarmActions).toEqual([{ Ref: 'TicketTopic' }]);
        expect(alarm.OKActions).toEqual([{ Ref: 'TicketTopic' }]);
        expect(alarm.AlarmDescription).toMatch(/docs\/OPERATIONS\.md#events-/);
      },
    );

    it('notify the existing topic when the stage names one', () => {
      expect(props<{ AlarmActions: unknown[] }>(withBooking, 'EventsIteratorAgeAlarm').AlarmActions).toEqual([
        TOPIC_ARN,
      ]);
      expect(props<{ AlarmActions: unknown[] }>(withBooking, 'EventsDeadLetterAlarm').AlarmActions).toEqual([
        TOPIC_ARN,
      ]);
    });

    it("alarm on the consumer's errors and throttles like every function", () => {
      expect(resource(prod, 'PublishEventsFunctionErrorsAlarm').Type).toBe('AWS::CloudWatch::Alarm');
      expect(resource(prod, 'PublishEventsFunctionThrottlesAlarm').Type).toBe('AWS::CloudWatch::Alarm');
    });
  });
});
