// The lifecycle events of sessions (docs/EVENTS.md): the stage's event bus and its policy, the consumer's
// role and its event source mapping on the sessions table's stream, the queue where records that could
// not be published are reported, and the alarms on both. The table's stream and the consumer function
// are declared in serverless.yml.

/** The consumer function's name in serverless.yml. */
const CONSUMER = 'publishEvents';
const CONSUMER_ID = 'PublishEventsLambdaFunction';

/**
 * How the consumer reads the stream. One batch per shard at a time (ParallelizationFactor 1): the
 * stream keeps one item's records in order within a shard, so a user's events are published in order.
 * A batch that keeps failing is split to isolate the bad record, retried a bounded number of times, and
 * given up after an hour: its shard and sequence numbers go to the dead-letter queue, while the records
 * stay readable in the stream for 24 hours (docs/OPERATIONS.md#events-dead-letters).
 */
const STREAM_READING = {
  StartingPosition: 'LATEST',
  BatchSize: 100,
  // Up to one second of waiting turns a trickle of writes into fewer, fuller invocations.
  MaximumBatchingWindowInSeconds: 1,
  ParallelizationFactor: 1,
  BisectBatchOnFunctionError: true,
  MaximumRetryAttempts: 10,
  MaximumRecordAgeInSeconds: 3600,
  FunctionResponseTypes: ['ReportBatchItemFailures'],
};

/**
 * Records the consumer is invoked for. A pattern compares fields with constants, never the old image
 * with the new, so it cannot see that a write only refreshed activity: the consumer decides that. The
 * patterns keep to what is stable whatever the item's format: the change's kind and the table's key.
 */
const FILTER_PATTERNS = [
  {
    eventName: ['INSERT', 'MODIFY', 'REMOVE'],
    dynamodb: { Keys: { userId: { S: [{ exists: true }] } } },
  },
];

/** Rules on the bus, managed by the account alone. */
const RULE_ACTIONS = [
  'events:PutRule',
  'events:DeleteRule',
  'events:DescribeRule',
  'events:EnableRule',
  'events:DisableRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'events:ListTargetsByRule',
];

/** A threshold parameter: a number of at least `min`, or a clear packaging error naming it. */
function threshold(name, raw, min = 0) {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`${name} must be a number of at least ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function booleanParam(name, raw) {
  const value = String(raw);
  if (value !== 'true' && value !== 'false') {
    throw new Error(`${name} must be true or false, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const { alarmTopics } = require('./alarms.cjs');

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const param = (name) => resolveVariable(`param:${name}`);
  const prefix = `${service}-${stage}`;
  const busName = prefix;
  const consumerName = `${prefix}-${CONSUMER}`;
  // Checked here too, so a typo fails the package rather than the function's cold start.
  booleanParam('eventsIncludeBooking', await param('eventsIncludeBooking'));
  // The events' alarms open tickets: records wait or are given up on, customers see nothing yet
  // (lib/deploy/alarms.cjs has the tiers).
  const topic = (await alarmTopics(resolveVariable)).ticket;
  const iteratorAgeMs = threshold('alarmEventsIteratorAgeMs', await param('alarmEventsIteratorAgeMs'), 1);
  const deadLetters = threshold(
    'alarmEventsDeadLetterMessages',
    await param('alarmEventsDeadLetterMessages'),
  );

  const busArn = { 'Fn::GetAtt': ['EventBus', 'Arn'] };
  const resources = {
    EventBus: {
      Type: 'AWS::Events::EventBus',
      Properties: {
        Name: busName,
        Description: 'What happens to sessions (docs/EVENTS.md)',
        Policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AccountManagesRules',
              Effect: 'Allow',
              // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
              Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
              Action: RULE_ACTIONS,
              Resource: {
                'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${busName}/*`,
              },
            },
            {
              // Whatever another policy may grant, no principal of another account reads or writes the bus.
              Sid: 'NoOtherAccount',
              Effect: 'Deny',
              Principal: '*',
              Action: 'events:*',
              // The bus's ARN written out: a policy on the bus cannot refer to the bus itself.
              Resource: [
                {
                  'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${busName}`,
                },
                {
                  'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${busName}/*`,
                },
              ],
              Condition: {
                StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } },
                Bool: { 'aws:PrincipalIsAWSService': 'false' },
              },
            },
          ],
        },
      },
    },

    EventsDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${prefix}-events-dlq`,
        MessageRetentionPeriod: 1209600,
        SqsManagedSseEnabled: true,
      },
    },

    PublishEventsRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        Policies: [
          {
            PolicyName: `${CONSUMER}-access`,
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                  Resource: {
                    'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${consumerName}:*`,
                  },
                },
                {
                  // What the event source mapping reads with the function's role.
                  Effect: 'Allow',
                  Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
                  Resource: { 'Fn::GetAtt': ['SessionsTable', 'StreamArn'] },
                },
                {
                  // ListStreams names no single stream: the table's streams, as the AWS SAM policy
                  // template DynamoDBStreamReadPolicy grants it.
                  Effect: 'Allow',
                  Action: ['dynamodb:ListStreams'],
                  // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholder
                  Resource: { 'Fn::Sub': '${SessionsTable.Arn}/stream/*' },
                },
                { Effect: 'Allow', Action: ['events:PutEvents'], Resource: busArn },
                {
                  Effect: 'Allow',
                  Action: ['sqs:SendMessage'],
                  Resource: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] },
                },
              ],
            },
          },
        ],
      },
    },

    PublishEventsStreamMapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['SessionsTable', 'StreamArn'] },
        FunctionName: { Ref: CONSUMER_ID },
        Enabled: true,
        ...STREAM_READING,
        FilterCriteria: { Filters: FILTER_PATTERNS.map((pattern) => ({ Pattern: JSON.stringify(pattern) })) },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } } },
      },
    },

    EventsIteratorAgeAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${prefix}-events-iterator-age`,
        AlarmDescription:
          'Events are published late: the consumer is behind the stream. Runbook: docs/OPERATIONS.md#events-iterator-age.',
        ActionsEnabled: true,
        AlarmActions: [topic],
        OKActions: [topic],
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: CONSUMER_ID } }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: iteratorAgeMs,
        TreatMissingData: 'notBreaching',
      },
    },

    EventsDeadLetterAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${prefix}-events-dead-letters`,
        AlarmDescription:
          'Stream records were given up on: their events are not published. Runbook: docs/OPERATIONS.md#events-dead-letters.',
        ActionsEnabled: true,
        AlarmActions: [topic],
        OKActions: [topic],
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: deadLetters,
        TreatMissingData: 'notBreaching',
      },
    },
  };

  return {
    Resources: resources,
    Outputs: {
      EventBusName: {
        Description: 'The bus the session events are published on',
        Value: { Ref: 'EventBus' },
      },
      EventBusArn: { Description: 'The ARN of that bus', Value: busArn },
    },
  };
};

module.exports.STREAM_READING = STREAM_READING;
module.exports.FILTER_PATTERNS = FILTER_PATTERNS;
