// Generates the stage's alarm topics, CloudWatch alarms and dashboard for serverless.yml. Alarms come in
// two tiers, each with a topic of its own: the page tier is one composite alarm over sustained,
// customer-visible trouble (its children notify nobody on their own), and the ticket tier is every other
// alarm, notifying when it fires and when it clears. Each threshold is a stage parameter, and
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
/** Operations too rare to weigh in the server-error rate (see ServerErrorRateAlarm). */
const RARE_OPERATIONS = new Set(['erase']);
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

/** The alarm tiers: the stage parameters of each tier's topic, and the names of what the stack creates. */
const TIERS = {
  page: {
    topicParam: 'pageTopicArn',
    emailParam: 'pageEmail',
    topicId: 'PageTopic',
    policyId: 'PageTopicPolicy',
    subscriptionId: 'PageEmailSubscription',
    output: 'PageTopicArn',
  },
  ticket: {
    topicParam: 'ticketTopicArn',
    emailParam: 'ticketEmail',
    topicId: 'TicketTopic',
    policyId: 'TicketTopicPolicy',
    subscriptionId: 'TicketEmailSubscription',
    output: 'TicketTopicArn',
  },
};

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** One tier's settings, checked: `topicArn` (an existing topic, or '') and `email` (or ''). */
async function tierSettings(resolveVariable, tier) {
  const { topicParam, emailParam } = TIERS[tier];
  const topicArn = String((await resolveVariable(`param:${topicParam}`)) || '');
  const email = String((await resolveVariable(`param:${emailParam}`)) || '');
  if (topicArn && !TOPIC_ARN.test(topicArn)) {
    throw new Error(`${topicParam} must be an SNS topic ARN, got ${JSON.stringify(topicArn)}`);
  }
  if (email && !EMAIL.test(email)) {
    throw new Error(`${emailParam} must be one email address, got ${JSON.stringify(email)}`);
  }
  return { topicArn, email };
}

/**
 * Where each tier notifies, as CloudFormation values: `{ page, ticket }`, each the ARN of the existing
 * topic its parameter names, or `{ Ref: 'PageTopic' }` / `{ Ref: 'TicketTopic' }` for the topic this
 * stack creates. Other template modules (their own alarms) take their actions from here.
 */
async function alarmTopics(resolveVariable) {
  const topics = {};
  for (const tier of Object.keys(TIERS)) {
    const { topicArn } = await tierSettings(resolveVariable, tier);
    topics[tier] = topicArn || { Ref: TIERS[tier].topicId };
  }
  return topics;
}

/**
 * The KMS key of the created topics. CloudWatch cannot use the AWS managed key alias/aws/sns (its
 * policy does not let CloudWatch encrypt), so the topics have a key of their own that allows CloudWatch
 * beside the account.
 */
function topicKey(prefix) {
  return {
    Type: 'AWS::KMS::Key',
    Properties: {
      Description: `Encrypts the ${prefix} alarm topics`,
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
            // by the topic policy, and a condition CloudWatch does not send would silence them.
            Resource: '*',
          },
        ],
      },
    },
  };
}

/** A created tier topic's policy: only this stage's alarms may publish to it. */
function topicPolicy(topicId, prefix) {
  return {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'StageAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topicId },
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

/** Metrics derived from the access log: the 4xx statuses API Gateway's own metrics do not tell apart. */
const ACCESS_LOG_STATUSES = [401, 403, 429];

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const namespace = await resolveVariable('self:provider.environment.POWERTOOLS_METRICS_NAMESPACE');
  const serviceDimension = await resolveVariable('self:provider.environment.POWERTOOLS_SERVICE_NAME');
  const functions = await resolveVariable('self:functions');
  const defaultTimeout = Number(await resolveVariable('self:provider.timeout'));
  const param = (name) => resolveVariable(`param:${name}`);

  const threshold = async (name, options) => numberParam(name, await param(name), options);
  const thresholds = {
    minRequests: await threshold('alarmMinRequests', { min: 1, integer: true }),
    rateDatapoints: await threshold('alarmRateDatapoints', { min: 1, integer: true }),
    rateEvaluationPeriods: await threshold('alarmRateEvaluationPeriods', { min: 1, integer: true }),
    serverErrorRatePercent: await threshold('alarmServerErrorRatePercent'),
    api5xxRatePercent: await threshold('alarmApi5xxRatePercent'),
    apiLatencyP99Ms: await threshold('alarmApiLatencyP99Ms', { min: 1 }),
    throttleSustainedMinutes: await threshold('alarmThrottleSustainedMinutes', { min: 1, integer: true }),
    api4xxRatePercent: await threshold('alarmApi4xxRatePercent'),
    functionErrors: await threshold('alarmFunctionErrors'),
    dynamoThrottles: await threshold('alarmDynamoThrottles'),
    dynamoSystemErrors: await threshold('alarmDynamoSystemErrors'),
    dynamoLatencyMs: await threshold('alarmDynamoLatencyMs', { min: 1 }),
    durationTimeoutPercent: await threshold('alarmDurationTimeoutPercent', { min: 1 }),
    concurrencyPercent: await threshold('alarmConcurrencyPercent', { min: 1 }),
    accountConcurrencyPercent: await threshold('alarmAccountConcurrencyPercent', { min: 1 }),
    sweepErrors: await threshold('alarmSweepErrors'),
    sweepIncompleteRuns: await threshold('alarmSweepIncompleteRuns', { min: 1, integer: true }),
    deadLetterMessages: await threshold('alarmDeadLetterMessages'),
  };
  if (thresholds.rateDatapoints > thresholds.rateEvaluationPeriods) {
    throw new Error('alarmRateDatapoints must be at most alarmRateEvaluationPeriods');
  }
  const accountConcurrency = await threshold('accountConcurrency', { min: 1, integer: true });
  const reserved = (await param('reservedConcurrency')) ?? {};
  const sweepWorkers = await threshold('sweepWorkers', { min: 1, integer: true });
  const interval = scheduleIntervalSeconds(await param('sweepSchedule'));
  const { period: sweepPeriod, perInterval } = sweepPeriods(interval);

  const prefix = `${service}-${stage}`;
  const topics = await alarmTopics(resolveVariable);
  const resources = {};
  const outputs = {};

  for (const [tier, names] of Object.entries(TIERS)) {
    const { topicArn, email } = await tierSettings(resolveVariable, tier);
    if (!topicArn) {
      resources.AlarmTopicKey ??= topicKey(prefix);
      resources[names.topicId] = {
        Type: 'AWS::SNS::Topic',
        Properties: {
          TopicName: `${prefix}-${tier}`,
          DisplayName: `${prefix} ${tier}`,
          KmsMasterKeyId: { Ref: 'AlarmTopicKey' },
        },
      };
      resources[names.policyId] = topicPolicy(names.topicId, prefix);
    }
    outputs[names.output] = { Description: `Where ${tier}-tier alarms notify`, Value: topics[tier] };
    if (email) {
      resources[names.subscriptionId] = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: topics[tier], Protocol: 'email', Endpoint: email },
      };
    }
  }

  // Under the stage's customer-managed key (lib/deploy/encryption.cjs), the topics need no key of their own.
  const kmsKeyArn = await stageKmsKeyArn(resolveVariable);
  if (kmsKeyArn) {
    delete resources.AlarmTopicKey;
    for (const names of Object.values(TIERS)) {
      const topic = resources[names.topicId];
      if (topic) Object.assign(topic.Properties, encryption(kmsKeyArn).topic());
    }
  }

  const alarmIds = [];
  /** Children of the page-tier composite: they notify nobody themselves. */
  const pageIds = [];
  /**
   * Adds an alarm of `tier`: a ticket alarm notifies the ticket topic on ALARM and on OK; a page alarm
   * is a child of the composite and notifies nobody. `metric` or `metrics` says what it watches.
   */
  const alarm = (logicalId, suffix, description, spec) => {
    if (resources[logicalId]) throw new Error(`two alarms would be ${logicalId}`);
    const {
      tier,
      comparison = 'GreaterThanThreshold',
      evaluationPeriods = 1,
      datapoints,
      missing = 'notBreaching',
    } = spec;
    if (!TIERS[tier]) throw new Error(`alarm ${logicalId} has no tier`);
    alarmIds.push(logicalId);
    if (tier === 'page') pageIds.push(logicalId);
    const actions = tier === 'ticket' ? { AlarmActions: [topics.ticket], OKActions: [topics.ticket] } : {};
    resources[logicalId] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${prefix}-${suffix}`,
        AlarmDescription: `${tier === 'page' ? 'Page (through service-unhealthy)' : 'Ticket'}: ${description} Runbook: docs/OPERATIONS.md#${spec.runbook ?? suffix}.`,
        ActionsEnabled: tier === 'ticket',
        ...actions,
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
  /** A rate in percent that counts only periods with at least `minRequests` requests. */
  const guardedRate = (label, errors, requests) => ({
    Id: 'rate',
    Label: label,
    Expression: `IF(${requests} >= ${thresholds.minRequests}, 100 * ${errors} / ${requests}, 0)`,
    ReturnData: true,
  });
  const rateWindow = {
    evaluationPeriods: thresholds.rateEvaluationPeriods,
    datapoints: thresholds.rateDatapoints,
  };

  const functionEntries = Object.entries(functions ?? {}).map(([name, definition]) => ({
    name,
    logicalId: functionLogicalId(name),
    definition: definition ?? {},
  }));
  const operations = functionEntries
    .filter(({ definition }) => (definition.events ?? []).some((event) => event?.httpApi))
    .map(({ name }) => name);
  const isOperation = (name) => operations.includes(name);

  // Every function: unhandled errors (crashes, timeouts), a ticket each.
  for (const { name, logicalId } of functionEntries) {
    const fn = { FunctionName: { Ref: logicalId } };
    alarm(
      `${capitalised(name)}FunctionErrorsAlarm`,
      `${name}-function-errors`,
      `The ${name} function failed.`,
      {
        tier: 'ticket',
        threshold: thresholds.functionErrors,
        runbook: 'function-errors',
        metric: single('AWS/Lambda', 'Errors', fn, 'Sum', 300),
      },
    );
  }
  // Throttles: a session function's callers are refused while it lasts (page); the sweep's schedule
  // retries and dead-letters (ticket).
  const sustained = thresholds.throttleSustainedMinutes;
  for (const { name, logicalId } of functionEntries) {
    const fn = { FunctionName: { Ref: logicalId } };
    alarm(
      `${capitalised(name)}FunctionThrottlesAlarm`,
      `${name}-function-throttles`,
      `The ${name} function was throttled.`,
      {
        tier: isOperation(name) ? 'page' : 'ticket',
        threshold: 0,
        runbook: 'function-throttles',
        ...(isOperation(name)
          ? { evaluationPeriods: sustained, metric: single('AWS/Lambda', 'Throttles', fn, 'Sum', 60) }
          : { metric: single('AWS/Lambda', 'Throttles', fn, 'Sum', 300) }),
      },
    );
  }
  // Session functions: Duration p99 near the timeout, and concurrency near the reservation.
  for (const { name, logicalId, definition } of functionEntries.filter((f) => isOperation(f.name))) {
    const fn = { FunctionName: { Ref: logicalId } };
    const timeoutMs = 1000 * Number(definition.timeout ?? defaultTimeout);
    alarm(
      `${capitalised(name)}DurationAlarm`,
      `${name}-duration-p99`,
      `The ${name} function's p99 duration is above ${thresholds.durationTimeoutPercent}% of its ${timeoutMs} ms timeout.`,
      {
        tier: 'ticket',
        threshold: Math.round((timeoutMs * thresholds.durationTimeoutPercent) / 100),
        evaluationPeriods: 3,
        datapoints: 2,
        runbook: 'function-duration',
        metric: single('AWS/Lambda', 'Duration', fn, 'p99', 300),
      },
    );
    const reservation = Number(reserved[name] ?? 0);
    if (reservation > 0) {
      alarm(
        `${capitalised(name)}ConcurrencyAlarm`,
        `${name}-concurrency`,
        `The ${name} function used more than ${thresholds.concurrencyPercent}% of its reserved concurrency (${reservation}).`,
        {
          tier: 'ticket',
          threshold: Math.floor((reservation * thresholds.concurrencyPercent) / 100),
          evaluationPeriods: 5,
          datapoints: 3,
          runbook: 'function-concurrency',
          metric: single('AWS/Lambda', 'ConcurrentExecutions', fn, 'Maximum', 60),
        },
      );
    }
  }
  alarm(
    'AccountConcurrencyAlarm',
    'account-concurrency',
    `The account claims more than ${thresholds.accountConcurrencyPercent}% of its concurrency quota (${accountConcurrency}) in the Region.`,
    {
      tier: 'ticket',
      threshold: Math.floor((accountConcurrency * thresholds.accountConcurrencyPercent) / 100),
      evaluationPeriods: 5,
      datapoints: 3,
      runbook: 'function-concurrency',
      metric: single('AWS/Lambda', 'ClaimedAccountConcurrency', {}, 'Maximum', 60),
    },
  );

  // The HTTP API: 5xx rate and p99 latency page; the 4xx rate is a ticket.
  const apiId = { ApiId: { Ref: 'HttpApi' } };
  alarm(
    'Api5xxRateAlarm',
    'api-5xx-rate',
    'The HTTP API answered 5xx to more than the allowed share of requests.',
    {
      tier: 'page',
      threshold: thresholds.api5xxRatePercent,
      ...rateWindow,
      metrics: [
        query('errors', 'AWS/ApiGateway', '5xx', apiId, 'Sum', 60),
        query('requests', 'AWS/ApiGateway', 'Count', apiId, 'Sum', 60),
        guardedRate('5xx %', 'errors', 'requests'),
      ],
    },
  );
  alarm(
    'Api4xxRateAlarm',
    'api-4xx-rate',
    'The HTTP API answered 4xx to more than the usual share of requests.',
    {
      tier: 'ticket',
      threshold: thresholds.api4xxRatePercent,
      ...rateWindow,
      metrics: [
        query('errors', 'AWS/ApiGateway', '4xx', apiId, 'Sum', 60),
        query('requests', 'AWS/ApiGateway', 'Count', apiId, 'Sum', 60),
        guardedRate('4xx %', 'errors', 'requests'),
      ],
    },
  );
  alarm('ApiLatencyAlarm', 'api-latency-p99', 'The HTTP API p99 latency is above the threshold.', {
    tier: 'page',
    threshold: thresholds.apiLatencyP99Ms,
    ...rateWindow,
    metric: single('AWS/ApiGateway', 'Latency', apiId, 'p99', 60),
  });

  // Session operations that answered UNAVAILABLE/INTERNAL, over HTTP and by direct invocation alike
  // (Lambda's Errors never sees them: the functions answer instead of throwing), over the functions'
  // invocations. CloudWatch takes at most 10 metrics in one alarm: the 5 operations that carry the
  // traffic × 2. Erase (a person's request, a few a day) is watched by its function's own alarms.
  const trafficOperations = operations.filter((name) => !RARE_OPERATIONS.has(name));
  alarm(
    'ServerErrorRateAlarm',
    'server-error-rate',
    'Session operations answered UNAVAILABLE or INTERNAL to more than the allowed share of calls.',
    {
      tier: 'page',
      threshold: thresholds.serverErrorRatePercent,
      ...rateWindow,
      metrics: [
        ...trafficOperations.map((operation, index) =>
          query(
            `err${index}`,
            namespace,
            'ServerErrors',
            { service: serviceDimension, operation },
            'Sum',
            60,
          ),
        ),
        ...trafficOperations.map((operation, index) =>
          query(
            `inv${index}`,
            'AWS/Lambda',
            'Invocations',
            { FunctionName: { Ref: functionLogicalId(operation) } },
            'Sum',
            60,
          ),
        ),
        {
          Id: 'errors',
          Expression: `SUM([${trafficOperations.map((_, index) => `err${index}`).join(', ')}])`,
          ReturnData: false,
        },
        {
          Id: 'calls',
          Expression: `SUM([${trafficOperations.map((_, index) => `inv${index}`).join(', ')}])`,
          ReturnData: false,
        },
        guardedRate('server errors %', 'errors', 'calls'),
      ],
    },
  );

  // DynamoDB: one retried throttle or one system error is a ticket; throttling that lasts pages.
  const table = { TableName: { Ref: 'SessionsTable' } };
  const index = { ...table, GlobalSecondaryIndexName: INDEX_NAME };
  const perOperation = (metricName, stat = 'Sum', combine = 'SUM') => [
    ...DYNAMODB_OPERATIONS.map((operation, i) =>
      query(
        `${operation.toLowerCase()}${i}`,
        'AWS/DynamoDB',
        metricName,
        { ...table, Operation: operation },
        stat,
        60,
      ),
    ),
    {
      Id: 'total',
      Label: metricName,
      Expression: `${combine}([${DYNAMODB_OPERATIONS.map((operation, i) => `${operation.toLowerCase()}${i}`).join(', ')}])`,
      ReturnData: true,
    },
  ];
  alarm(
    'TableThrottledRequestsAlarm',
    'table-throttled-requests',
    'DynamoDB throttled requests to the sessions table.',
    {
      tier: 'ticket',
      threshold: thresholds.dynamoThrottles,
      metrics: perOperation('ThrottledRequests'),
    },
  );
  alarm(
    'TableThrottlingSustainedAlarm',
    'table-throttling-sustained',
    `DynamoDB throttled requests in each of ${sustained} minutes in a row.`,
    {
      tier: 'page',
      threshold: 0,
      evaluationPeriods: sustained,
      runbook: 'table-throttled-requests',
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
      tier: 'ticket',
      threshold: thresholds.dynamoThrottles,
      runbook: 'table-throttled-requests',
      metric: single('AWS/DynamoDB', metricName, dimensions, 'Sum', 60),
    });
  }
  alarm('TableSystemErrorsAlarm', 'table-system-errors', 'DynamoDB answered requests with internal errors.', {
    tier: 'ticket',
    threshold: thresholds.dynamoSystemErrors,
    metrics: perOperation('SystemErrors'),
  });
  alarm(
    'TableLatencyAlarm',
    'table-latency',
    `DynamoDB's average latency of an operation the functions call is above ${thresholds.dynamoLatencyMs} ms.`,
    {
      tier: 'ticket',
      threshold: thresholds.dynamoLatencyMs,
      evaluationPeriods: 5,
      datapoints: 3,
      metrics: perOperation('SuccessfulRequestLatency', 'Average', 'MAX'),
    },
  );

  // The sweep: dead letters and a silent worker page; errors and an incomplete run are tickets.
  alarm('SweepDeadLetterAlarm', 'sweep-dead-letters', 'Scheduled sweep invocations could not be delivered.', {
    tier: 'page',
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
    tier: 'ticket',
    threshold: thresholds.sweepErrors,
    metric: single(namespace, 'SweepErrors', sweepDimensions, 'Sum', sweepPeriod),
  });
  const incompletePeriods = thresholds.sweepIncompleteRuns * perInterval;
  checkRange('sweep-incomplete', sweepPeriod, incompletePeriods);
  alarm(
    'SweepIncompleteAlarm',
    'sweep-incomplete',
    `The sweep did not finish ${thresholds.sweepIncompleteRuns} run(s) in a row.`,
    {
      tier: 'ticket',
      threshold: 0,
      evaluationPeriods: incompletePeriods,
      datapoints: thresholds.sweepIncompleteRuns,
      metric: single(namespace, 'SweepIncomplete', sweepDimensions, 'Maximum', sweepPeriod),
    },
  );
  // One heartbeat per worker (its share's first shard value names it, lib/handlers/sweep-handler.ts).
  checkRange('sweep-heartbeat', sweepPeriod, 2 * perInterval);
  for (let worker = 0; worker < sweepWorkers; worker++) {
    alarm(
      `SweepHeartbeat${worker}Alarm`,
      `sweep-heartbeat-${worker}`,
      `Sweep worker ${worker} has not reported for two schedule intervals.`,
      {
        tier: 'page',
        comparison: 'LessThanThreshold',
        threshold: 1,
        evaluationPeriods: 2 * perInterval,
        missing: 'breaching',
        runbook: 'sweep-heartbeat',
        metric: single(
          namespace,
          'SweepHeartbeat',
          { ...sweepDimensions, worker: String(worker) },
          'Sum',
          sweepPeriod,
        ),
      },
    );
  }

  // The page: one composite over sustained, customer-visible trouble. Its children notify nobody.
  resources.ServiceUnhealthyAlarm = {
    Type: 'AWS::CloudWatch::CompositeAlarm',
    Properties: {
      AlarmName: `${prefix}-service-unhealthy`,
      AlarmDescription:
        'Page: callers are getting errors or slow answers, or sessions are no longer swept. Runbook: docs/OPERATIONS.md#service-unhealthy.',
      ActionsEnabled: true,
      AlarmActions: [topics.page],
      OKActions: [topics.page],
      // Fn::Sub on each child's name makes CloudFormation create the children first, without a DependsOn.
      AlarmRule: {
        'Fn::Join': [' OR ', pageIds.map((id) => ({ 'Fn::Sub': `ALARM("\${${id}}")` }))],
      },
    },
  };

  // What the access log tells apart: 401 (no or bad token), 403 and 429 (the stage's throttle).
  for (const status of ACCESS_LOG_STATUSES) {
    resources[`Api${status}MetricFilter`] = {
      Type: 'AWS::Logs::MetricFilter',
      Properties: {
        LogGroupName: { Ref: 'HttpApiLogGroup' },
        FilterPattern: `{ $.status = ${status} }`,
        MetricTransformations: [
          {
            MetricNamespace: namespace,
            MetricName: `Api${status}`,
            MetricValue: '1',
            Unit: 'Count',
            Dimensions: [{ Key: 'service', Value: serviceDimension }],
          },
        ],
      },
    };
  }

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
            alarms: ['ServiceUnhealthyAlarm', ...alarmIds],
            metricNames,
            reservations: Object.fromEntries(
              operations.map((name) => [name, Number(reserved[name] ?? 0)]).filter(([, count]) => count > 0),
            ),
            accountConcurrency,
            accessLogStatuses: ACCESS_LOG_STATUSES,
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
  outputs.AccessLogGroupName = {
    Description: "The HTTP API's access log group",
    Value: { Ref: 'HttpApiLogGroup' },
  };

  return { Resources: resources, Outputs: outputs };
};

module.exports.scheduleIntervalSeconds = scheduleIntervalSeconds;
module.exports.sweepPeriods = sweepPeriods;
module.exports.alarmTopics = alarmTopics;
module.exports.TIERS = TIERS;
