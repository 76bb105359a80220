// Generates the stage's alarm topic, CloudWatch alarms and dashboard for serverless.yml. Every alarm
// notifies the topic when it fires and when it clears; each threshold is a stage parameter, and
// docs/OPERATIONS.md says what each alarm means and what to do.
/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders, not JavaScript templates */

const metricNames = require('../handlers/metric-names.json');
const { dashboardBody } = require('./dashboard.cjs');
const { encryption, stageKmsKeyArn } = require('./encryption.cjs');

const DAY_SECONDS = 86_400;
/** CloudWatch's limits on Period × EvaluationPeriods: a day below hourly periods, seven days above. */
const MAX_RANGE_SHORT_PERIOD = DAY_SECONDS;
const MAX_RANGE = 7 * DAY_SECONDS;
/** The DynamoDB API operations the functions call; DynamoDB reports some metrics per operation. */
const DYNAMODB_OPERATIONS = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'];
const INDEX_NAME = 'byUpdatedAt';

const capitalised = (name) => name.charAt(0).toUpperCase() + name.slice(1);

/** The logical id osls gives a function's AWS::Lambda::Function. */
const functionLogicalId = (name) =>
  `${capitalised(name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore'))}LambdaFunction`;

/** The seconds between two runs of a `rate(...)` schedule expression. */
function scheduleIntervalSeconds(expression) {
  const match = /^rate\(\s*([1-9]\d*)\s+(minutes?|hours?|days?)\s*\)$/.exec(String(expression).trim());
  if (!match) {
    throw new Error(
      `sweepSchedule must be rate(N minute(s)|hour(s)|day(s)) so that the sweep's alarms know its interval, got ${JSON.stringify(expression)}`,
    );
  }
  const unit = { minute: 60, hour: 3_600, day: DAY_SECONDS }[match[2].replace(/s$/, '')];
  return Number(match[1]) * unit;
}

/**
 * The period of the sweep's alarms, and how many periods one schedule interval spans. A period is
 * at most a day (a longer interval spans several), and a whole number of minutes.
 */
function sweepPeriods(intervalSeconds) {
  const period = Math.min(Math.ceil(intervalSeconds / 60) * 60, DAY_SECONDS);
  return { period, perInterval: Math.ceil(intervalSeconds / period) };
}

function checkRange(name, period, evaluationPeriods) {
  const limit = period < 3_600 ? MAX_RANGE_SHORT_PERIOD : MAX_RANGE;
  if (period * evaluationPeriods > limit) {
    throw new Error(
      `the ${name} alarm would look back ${period * evaluationPeriods} s, past CloudWatch's ${limit} s for ${period} s periods; lower the parameter or the sweep interval`,
    );
  }
}

function numberParam(name, raw, { min = 0, integer = false } = {}) {
  const value = Number(raw);
  if (raw === '' || raw === null || raw === undefined || !Number.isFinite(value) || value < min) {
    throw new Error(`${name} must be a number of at least ${min}, got ${JSON.stringify(raw)}`);
  }
  if (integer && !Number.isInteger(value)) throw new Error(`${name} must be a whole number, got ${raw}`);
  return value;
}

/** One metric, as CloudFormation's Metrics array (MetricDataQuery) takes it. */
function query(id, namespace, metricName, dimensions, stat, period) {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: period,
      Stat: stat,
    },
    ReturnData: false,
  };
}

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const namespace = await resolveVariable('self:provider.environment.POWERTOOLS_METRICS_NAMESPACE');
  const serviceDimension = await resolveVariable('self:provider.environment.POWERTOOLS_SERVICE_NAME');
  const functions = await resolveVariable('self:functions');
  const param = (name) => resolveVariable(`param:${name}`);

  const topicArn = (await param('alarmTopicArn')) || '';
  const email = (await param('alarmEmail')) || '';
  if (topicArn && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(topicArn)) {
    throw new Error(`alarmTopicArn must be an SNS topic ARN, got ${JSON.stringify(topicArn)}`);
  }
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new Error(`alarmEmail must be one email address, got ${JSON.stringify(email)}`);
  }
  const threshold = async (name, options) => numberParam(name, await param(name), options);
  const thresholds = {
    functionErrors: await threshold('alarmFunctionErrors'),
    functionThrottles: await threshold('alarmFunctionThrottles'),
    api5xxRatePercent: await threshold('alarmApi5xxRatePercent'),
    apiLatencyP99Ms: await threshold('alarmApiLatencyP99Ms', { min: 1 }),
    serverErrors: await threshold('alarmServerErrors'),
    dynamoThrottles: await threshold('alarmDynamoThrottles'),
    dynamoSystemErrors: await threshold('alarmDynamoSystemErrors'),
    sweepErrors: await threshold('alarmSweepErrors'),
    sweepIncompleteRuns: await threshold('alarmSweepIncompleteRuns', { min: 1, integer: true }),
    deadLetterMessages: await threshold('alarmDeadLetterMessages'),
  };
  const interval = scheduleIntervalSeconds(await param('sweepSchedule'));
  const { period: sweepPeriod, perInterval } = sweepPeriods(interval);

  const prefix = `${service}-${stage}`;
  const topic = topicArn || { Ref: 'AlarmTopic' };
  const resources = {};
  const outputs = {};

  if (!topicArn) {
    // CloudWatch cannot use the AWS managed key alias/aws/sns (its policy does not let CloudWatch
    // encrypt), so the topic has a key of its own that allows CloudWatch beside the account.
    resources.AlarmTopicKey = {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `Encrypts the ${prefix} alarm topic`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AccountAdministers',
              Effect: 'Allow',
              Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
              Action: 'kms:*',
              Resource: '*',
            },
            {
              Sid: 'CloudWatchAlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              // The statement AWS documents, without conditions: which alarms may publish is decided
              // by the topic policy below, and a condition CloudWatch does not send would silence them.
              Resource: '*',
            },
          ],
        },
      },
    };
    resources.AlarmTopic = {
      Type: 'AWS::SNS::Topic',
      Properties: {
        TopicName: `${prefix}-alarms`,
        DisplayName: `${prefix} alarms`,
        KmsMasterKeyId: { Ref: 'AlarmTopicKey' },
      },
    };
    resources.AlarmTopicPolicy = {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: 'AlarmTopic' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'StageAlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: 'AlarmTopic' },
              Condition: {
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${prefix}-*`,
                  },
                },
              },
            },
          ],
        },
      },
    };
  }
  // Under the stage's customer-managed key (lib/deploy/encryption.cjs), the topic needs no key of its own.
  const kmsKeyArn = await stageKmsKeyArn(resolveVariable);
  if (!topicArn && kmsKeyArn) {
    delete resources.AlarmTopicKey;
    Object.assign(resources.AlarmTopic.Properties, encryption(kmsKeyArn).topic());
  }
  outputs.AlarmTopicArn = { Description: 'Where the alarms notify', Value: topic };
  if (email) {
    resources.AlarmEmailSubscription = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: topic, Protocol: 'email', Endpoint: email },
    };
  }

  const alarmIds = [];
  /** Adds an alarm that notifies the topic on ALARM and on OK; `metric` or `metrics` says what. */
  const alarm = (logicalId, suffix, description, spec) => {
    if (resources[logicalId]) throw new Error(`two alarms would be ${logicalId}`);
    const {
      comparison = 'GreaterThanThreshold',
      evaluationPeriods = 1,
      datapoints,
      missing = 'notBreaching',
    } = spec;
    alarmIds.push(logicalId);
    resources[logicalId] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${prefix}-${suffix}`,
        AlarmDescription: `${description} Runbook: docs/OPERATIONS.md#${spec.runbook ?? suffix}.`,
        ActionsEnabled: true,
        AlarmActions: [topic],
        OKActions: [topic],
        ComparisonOperator: comparison,
        Threshold: spec.threshold,
        EvaluationPeriods: evaluationPeriods,
        DatapointsToAlarm: datapoints ?? evaluationPeriods,
        TreatMissingData: missing,
        ...(spec.metrics ? { Metrics: spec.metrics } : spec.metric),
      },
    };
  };
  const single = (namespace_, metricName, dimensions, stat, period) => ({
    Namespace: namespace_,
    MetricName: metricName,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    Period: period,
    ...(/^p\d/.test(stat) ? { ExtendedStatistic: stat } : { Statistic: stat }),
  });

  // Every function: unhandled errors (crashes, timeouts) and throttles.
  const functionEntries = Object.entries(functions ?? {}).map(([name, definition]) => ({
    name,
    logicalId: functionLogicalId(name),
    definition: definition ?? {},
  }));
  for (const { name, logicalId } of functionEntries) {
    const fn = { FunctionName: { Ref: logicalId } };
    alarm(
      `${capitalised(name)}FunctionErrorsAlarm`,
      `${name}-function-errors`,
      `The ${name} function failed.`,
      {
        threshold: thresholds.functionErrors,
        runbook: 'function-errors',
        metric: single('AWS/Lambda', 'Errors', fn, 'Sum', 300),
      },
    );
    alarm(
      `${capitalised(name)}FunctionThrottlesAlarm`,
      `${name}-function-throttles`,
      `The ${name} function was throttled.`,
      {
        threshold: thresholds.functionThrottles,
        runbook: 'function-throttles',
        metric: single('AWS/Lambda', 'Throttles', fn, 'Sum', 300),
      },
    );
  }

  // The HTTP API: 5xx rate and p99 latency.
  const apiId = { ApiId: { Ref: 'HttpApi' } };
  alarm(
    'Api5xxRateAlarm',
    'api-5xx-rate',
    'The HTTP API answered 5xx to more than the allowed share of requests.',
    {
      threshold: thresholds.api5xxRatePercent,
      metrics: [
        query('errors', 'AWS/ApiGateway', '5xx', apiId, 'Sum', 300),
        query('requests', 'AWS/ApiGateway', 'Count', apiId, 'Sum', 300),
        {
          Id: 'rate',
          Label: '5xx %',
          Expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          ReturnData: true,
        },
      ],
    },
  );
  alarm('ApiLatencyAlarm', 'api-latency-p99', 'The HTTP API p99 latency is above the threshold.', {
    threshold: thresholds.apiLatencyP99Ms,
    evaluationPeriods: 3,
    datapoints: 2,
    metric: single('AWS/ApiGateway', 'Latency', apiId, 'p99', 300),
  });

  // Session operations that answered 5xx or UNAVAILABLE/INTERNAL, whether over HTTP or direct invocation
  // (Lambda's Errors never sees them: the functions answer instead of throwing).
  const operations = functionEntries
    .filter(({ definition }) => (definition.events ?? []).some((event) => event?.httpApi))
    .map(({ name }) => name);
  alarm('ServerErrorsAlarm', 'server-errors', 'Session operations answered UNAVAILABLE or INTERNAL.', {
    threshold: thresholds.serverErrors,
    metrics: [
      ...operations.map((operation, index) =>
        query(`op${index}`, namespace, 'ServerErrors', { service: serviceDimension, operation }, 'Sum', 300),
      ),
      {
        Id: 'total',
        Label: 'ServerErrors',
        Expression: `SUM([${operations.map((_, index) => `op${index}`).join(', ')}])`,
        ReturnData: true,
      },
    ],
  });

  // DynamoDB: throttling on the table and the index, and DynamoDB's own errors.
  const table = { TableName: { Ref: 'SessionsTable' } };
  const index = { ...table, GlobalSecondaryIndexName: INDEX_NAME };
  const perOperation = (metricName) => [
    ...DYNAMODB_OPERATIONS.map((operation, i) =>
      query(
        `${operation.toLowerCase()}${i}`,
        'AWS/DynamoDB',
        metricName,
        { ...table, Operation: operation },
        'Sum',
        60,
      ),
    ),
    {
      Id: 'total',
      Label: metricName,
      Expression: `SUM([${DYNAMODB_OPERATIONS.map((operation, i) => `${operation.toLowerCase()}${i}`).join(', ')}])`,
      ReturnData: true,
    },
  ];
  alarm(
    'TableThrottledRequestsAlarm',
    'table-throttled-requests',
    'DynamoDB throttled requests to the sessions table.',
    {
      threshold: thresholds.dynamoThrottles,
      metrics: perOperation('ThrottledRequests'),
    },
  );
  for (const [id, suffix, metricName, dimensions, what] of [
    [
      'TableReadThrottlesAlarm',
      'table-read-throttles',
      'ReadThrottleEvents',
      table,
      'reads of the sessions table',
    ],
    [
      'TableWriteThrottlesAlarm',
      'table-write-throttles',
      'WriteThrottleEvents',
      table,
      'writes to the sessions table',
    ],
    [
      'IndexReadThrottlesAlarm',
      'index-read-throttles',
      'ReadThrottleEvents',
      index,
      `reads of the ${INDEX_NAME} index`,
    ],
    [
      'IndexWriteThrottlesAlarm',
      'index-write-throttles',
      'WriteThrottleEvents',
      index,
      `writes to the ${INDEX_NAME} index`,
    ],
  ]) {
    alarm(id, suffix, `DynamoDB throttled ${what}.`, {
      threshold: thresholds.dynamoThrottles,
      runbook: 'table-throttled-requests',
      metric: single('AWS/DynamoDB', metricName, dimensions, 'Sum', 60),
    });
  }
  alarm('TableSystemErrorsAlarm', 'table-system-errors', 'DynamoDB answered requests with internal errors.', {
    threshold: thresholds.dynamoSystemErrors,
    metrics: perOperation('SystemErrors'),
  });

  // The sweep: dead letters, its own errors, incomplete runs, and silence.
  alarm('SweepDeadLetterAlarm', 'sweep-dead-letters', 'Scheduled sweep invocations could not be delivered.', {
    threshold: thresholds.deadLetterMessages,
    metric: single(
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      { QueueName: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'QueueName'] } },
      'Maximum',
      300,
    ),
  });
  const sweepDimensions = { service: serviceDimension };
  alarm('SweepErrorsAlarm', 'sweep-errors', 'The sweep failed to delete sessions.', {
    threshold: thresholds.sweepErrors,
    metric: single(namespace, 'SweepErrors', sweepDimensions, 'Sum', sweepPeriod),
  });
  const incompletePeriods = thresholds.sweepIncompleteRuns * perInterval;
  checkRange('sweep-incomplete', sweepPeriod, incompletePeriods);
  alarm(
    'SweepIncompleteAlarm',
    'sweep-incomplete',
    `The sweep did not finish ${thresholds.sweepIncompleteRuns} runs in a row.`,
    {
      threshold: 0,
      evaluationPeriods: incompletePeriods,
      datapoints: thresholds.sweepIncompleteRuns,
      metric: single(namespace, 'SweepIncomplete', sweepDimensions, 'Maximum', sweepPeriod),
    },
  );
  checkRange('sweep-silent', sweepPeriod, 2 * perInterval);
  alarm('SweepSilentAlarm', 'sweep-silent', 'The sweep has not reported for two schedule intervals.', {
    comparison: 'LessThanThreshold',
    threshold: 1,
    evaluationPeriods: 2 * perInterval,
    missing: 'breaching',
    metric: single(namespace, 'SweepDurationMs', sweepDimensions, 'SampleCount', sweepPeriod),
  });

  // One alarm for whoever is on call: customers are, or soon will be, affected.
  const unhealthy = [
    'Api5xxRateAlarm',
    'ApiLatencyAlarm',
    'ServerErrorsAlarm',
    'TableThrottledRequestsAlarm',
    'TableSystemErrorsAlarm',
    ...operations.map((name) => `${capitalised(name)}FunctionErrorsAlarm`),
  ];
  resources.ServiceUnhealthyAlarm = {
    Type: 'AWS::CloudWatch::CompositeAlarm',
    DependsOn: unhealthy,
    Properties: {
      AlarmName: `${prefix}-service-unhealthy`,
      AlarmDescription:
        'Callers are getting errors or slow answers. Runbook: docs/OPERATIONS.md#service-unhealthy.',
      ActionsEnabled: true,
      AlarmActions: [topic],
      OKActions: [topic],
      AlarmRule: unhealthy.map((id) => `ALARM("${resources[id].Properties.AlarmName}")`).join(' OR '),
    },
  };

  const routes = functionEntries.flatMap(({ definition }) =>
    (definition.events ?? [])
      .filter((event) => event?.httpApi)
      .map(({ httpApi }) => {
        // `httpApi: 'PUT /sessions/{userId}'` is osls' shorthand for `{ method, path }`.
        const [method, path] =
          typeof httpApi === 'string' ? httpApi.split(' ') : [httpApi.method, httpApi.path];
        return { method: String(method).toUpperCase(), path };
      }),
  );
  resources.Dashboard = {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: prefix,
      DashboardBody: {
        'Fn::Sub': JSON.stringify(
          dashboardBody({
            functions: functionEntries.map(({ name, logicalId }) => ({ name, logicalId })),
            operations,
            routes,
            namespace,
            service: serviceDimension,
            sweepPeriodSeconds: sweepPeriod,
            alarms: [...alarmIds, 'ServiceUnhealthyAlarm'],
            metricNames,
          }),
        ),
      },
    },
  };
  outputs.DashboardUrl = {
    Description: 'The CloudWatch dashboard of the stage',
    Value: {
      'Fn::Sub': `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=${prefix}`,
    },
  };

  return { Resources: resources, Outputs: outputs };
};

module.exports.scheduleIntervalSeconds = scheduleIntervalSeconds;
module.exports.sweepPeriods = sweepPeriods;
