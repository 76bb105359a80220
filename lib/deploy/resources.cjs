// Generates the per-function IAM roles and the chatbot's invoke permissions for serverless.yml, so that
// each function's DynamoDB access is written once, here, and every role is least-privilege.

/** The DynamoDB actions each function uses, on the table and on its `byUpdatedAt` index. */
const FUNCTION_ACCESS = {
  createOrGet: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  getSession: { table: ['dynamodb:GetItem'] },
  update: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  clear: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  delete: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'] },
  erase: { table: ['dynamodb:DeleteItem'] },
  exportUser: { table: ['dynamodb:GetItem'] },
  sweep: { table: ['dynamodb:DeleteItem'], index: ['dynamodb:Query'] },
};

/** The shard values the sweep covers: lib/config.ts's MAX_ACTIVITY_SHARDS (the template test checks). */
const MAX_ACTIVITY_SHARDS = 256;

/** Session functions that may get reserved concurrency (the stage parameter `reservedConcurrency`). */
const SESSION_FUNCTIONS = ['createOrGet', 'getSession', 'update', 'clear', 'delete', 'erase', 'exportUser'];

/** Functions the chatbot Lambda may invoke directly. */
const CHATBOT_FUNCTIONS = ['createOrGet', 'getSession', 'update', 'clear', 'delete', 'erase', 'exportUser'];

const capitalised = (name) => name.charAt(0).toUpperCase() + name.slice(1);

function role(functionName, fullName, access) {
  const statements = [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${fullName}:*`,
      },
    },
    {
      Effect: 'Allow',
      Action: access.table,
      Resource: { 'Fn::GetAtt': ['SessionsTable', 'Arn'] },
    },
  ];
  if (access.index) {
    statements.push({
      Effect: 'Allow',
      Action: access.index,
      // CloudFormation's own ${...} syntax, not a JavaScript template.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholder
      Resource: { 'Fn::Sub': '${SessionsTable.Arn}/index/byUpdatedAt' },
    });
  }
  return serviceRole('lambda.amazonaws.com', `${functionName}-access`, undefined, statements);
}

/**
 * The schedule group of the sweep's schedules. Scheduler presents the group's ARN as `aws:SourceArn`
 * when it assumes the execution role ("Confused deputy prevention", EventBridge Scheduler User Guide:
 * scope the condition to a schedule group, never to a schedule or a name prefix).
 */
const SCHEDULE_GROUP_ARN =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
  'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/default';

/** The role EventBridge Scheduler assumes: invoke the sweep, and dead-letter what it cannot deliver. */
function schedulerRole() {
  return serviceRole('scheduler.amazonaws.com', 'sweep-schedule', { 'Fn::Sub': SCHEDULE_GROUP_ARN }, [
    {
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] },
    },
    {
      Effect: 'Allow',
      Action: ['sqs:SendMessage'],
      Resource: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'Arn'] },
    },
  ]);
}

/**
 * An IAM role that only `service` can assume, with one inline policy. A service other than Lambda
 * assumes it only on behalf of this account (`aws:SourceAccount`) and, given `sourceArn`, of that
 * resource: without them, the service could be made to assume it for another account's resources
 * (the confused deputy). Lambda execution roles are assumed by Lambda itself, for this account's functions.
 */
function serviceRole(service, policyName, sourceArn, statements) {
  const trust = { Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' };
  if (service !== 'lambda.amazonaws.com') {
    trust.Condition = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ...(sourceArn ? { ArnEquals: { 'aws:SourceArn': sourceArn } } : {}),
    };
  }
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [trust],
      },
      Policies: [
        { PolicyName: policyName, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      ],
    },
  };
}

/** A whole number from `min` to `max`, or a clear packaging error naming the parameter. */
function wholeNumber(name, raw, min, max) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const RATE_UNIT_SECONDS = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 };

/** The interval of a `rate(...)` expression in seconds; undefined for a cron expression. */
function rateSeconds(expression) {
  const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(String(expression).trim());
  return match ? Number(match[1]) * RATE_UNIT_SECONDS[match[2]] : undefined;
}

/**
 * Worker i's share of the shard values: those equal to i modulo the worker count. Shares are disjoint,
 * cover every value up to MAX_ACTIVITY_SHARDS, and each holds an equal part of the shards in use.
 */
function shardShares(workers) {
  const shares = Array.from({ length: workers }, () => []);
  for (let shard = 0; shard < MAX_ACTIVITY_SHARDS; shard++) shares[shard % workers].push(shard);
  return shares;
}

/**
 * One EventBridge Scheduler target per sweep worker: its share as input, the scheduler's own role, a
 * retry policy, and the dead-letter queue for invocations that still fail.
 */
function sweepTarget(share) {
  return {
    Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] },
    RoleArn: { 'Fn::GetAtt': ['SweepSchedulerRole', 'Arn'] },
    Input: JSON.stringify({ shards: share }),
    RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'Arn'] } },
  };
}

/** Warm throughput of the table or the index, or undefined when both figures are 0 (left unset). */
function warmThroughput(name, read, write) {
  const reads = wholeNumber(`${name}WarmReadUnitsPerSecond`, read ?? 0, 0, 40_000_000);
  const writes = wholeNumber(`${name}WarmWriteUnitsPerSecond`, write ?? 0, 0, 40_000_000);
  if (reads === 0 && writes === 0) return undefined;
  return {
    ...(reads > 0 ? { ReadUnitsPerSecond: reads } : {}),
    ...(writes > 0 ? { WriteUnitsPerSecond: writes } : {}),
  };
}

/**
 * The `byUpdatedAt` index as serverless.yml defines it, with warm throughput: an extension replaces the
 * table's whole list of indexes (the template test checks both definitions agree).
 */
function sessionsIndex(warm) {
  return {
    IndexName: 'byUpdatedAt',
    KeySchema: [
      { AttributeName: 'activityShard', KeyType: 'HASH' },
      { AttributeName: 'updatedBucket', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
    WarmThroughput: warm,
  };
}

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const chatbotRoleArn = await resolveVariable('param:chatbotRoleArn');
  // A principal of '*' or a bare account id would open the functions to far more than one chatbot.
  if (chatbotRoleArn && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(chatbotRoleArn)) {
    throw new Error(
      `chatbotRoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${JSON.stringify(chatbotRoleArn)}`,
    );
  }
  const resources = {};
  for (const [functionName, access] of Object.entries(FUNCTION_ACCESS)) {
    resources[`${capitalised(functionName)}Role`] = role(
      functionName,
      `${service}-${stage}-${functionName}`,
      access,
    );
  }
  if (chatbotRoleArn) {
    for (const functionName of CHATBOT_FUNCTIONS) {
      resources[`${capitalised(functionName)}ChatbotInvokePermission`] = {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: {
            'Fn::GetAtt': [`${capitalised(functionName)}LambdaFunction`, 'Arn'],
          },
          Principal: chatbotRoleArn,
        },
      };
    }
  }
  resources.SweepSchedulerRole = schedulerRole();

  const activityShards = wholeNumber(
    'activityShards',
    await resolveVariable('param:activityShards'),
    1,
    MAX_ACTIVITY_SHARDS,
  );
  // More workers than shards in use would give some workers only empty shards.
  const workers = wholeNumber('sweepWorkers', await resolveVariable('param:sweepWorkers'), 1, activityShards);
  const schedule = await resolveVariable('param:sweepSchedule');
  const timeout = wholeNumber('sweepTimeout', await resolveVariable('param:sweepTimeout'), 60, 900);
  const interval = rateSeconds(schedule);
  // A run that ends before the worker's next one starts never overlaps it: each worker holds one of the
  // reserved environments at a time. A cron schedule is the operator's to space out.
  if (interval !== undefined && timeout >= interval) {
    throw new Error(
      `sweepTimeout (${timeout} s) must be shorter than the sweepSchedule interval (${schedule})`,
    );
  }
  const shares = shardShares(workers);
  // osls builds the first worker's schedule from the sweep's `schedule` event (serverless-offline runs
  // that one locally); the others are built here the same way.
  for (let worker = 2; worker <= workers; worker++) {
    resources[`SweepSchedulerSchedule${worker}`] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: `${service}-${stage}-sweep-${worker}`,
        ScheduleExpression: schedule,
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: sweepTarget(shares[worker - 1]),
      },
    };
  }

  const reserved = (await resolveVariable('param:reservedConcurrency')) ?? {};
  const functionExtensions = {
    // One environment per worker: the workers never wait for each other, and the sweep can never take
    // more than that from the session functions.
    SweepLambdaFunction: { Properties: { ReservedConcurrentExecutions: workers } },
  };
  for (const functionName of SESSION_FUNCTIONS) {
    const count = wholeNumber(`reservedConcurrency.${functionName}`, reserved[functionName] ?? 0, 0, 100_000);
    if (count > 0) {
      functionExtensions[`${capitalised(functionName)}LambdaFunction`] = {
        Properties: { ReservedConcurrentExecutions: count },
      };
    }
  }

  const param = (name) => resolveVariable(`param:${name}`);
  const tableWarm = warmThroughput(
    'table',
    await param('tableWarmReadUnitsPerSecond'),
    await param('tableWarmWriteUnitsPerSecond'),
  );
  const indexWarm = warmThroughput(
    'index',
    await param('indexWarmReadUnitsPerSecond'),
    await param('indexWarmWriteUnitsPerSecond'),
  );
  const accessLogRetention = wholeNumber(
    'accessLogRetentionInDays',
    await param('accessLogRetentionInDays'),
    1,
    3653,
  );

  return {
    Resources: resources,
    extensions: {
      ...functionExtensions,
      // osls would let the scheduler assume the sweep's own role; give it a role of its own instead,
      // with a retry policy and a dead-letter queue for invocations that still fail.
      SweepSchedulerSchedule1: {
        Properties: {
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: sweepTarget(shares[0]),
        },
      },
      ...(tableWarm || indexWarm
        ? {
            SessionsTable: {
              Properties: {
                ...(tableWarm ? { WarmThroughput: tableWarm } : {}),
                ...(indexWarm ? { GlobalSecondaryIndexes: [sessionsIndex(indexWarm)] } : {}),
              },
            },
          }
        : {}),
      // The access log keeps its own retention (osls would give it the functions').
      HttpApiLogGroup: { Properties: { RetentionInDays: accessLogRetention } },
      HttpApiStage: {
        Properties: {
          DefaultRouteSettings: {
            // Per-route metrics for the dashboard; see docs/OPERATIONS.md for what they cost.
            DetailedMetricsEnabled: String(await resolveVariable('param:apiDetailedMetrics')) === 'true',
            ThrottlingRateLimit: Number(await resolveVariable('param:throttleRateLimit')),
            ThrottlingBurstLimit: Number(await resolveVariable('param:throttleBurstLimit')),
          },
        },
      },
    },
  };
};

/** Read by lib/deploy/data-protection.cjs, which grants each role the key use its access needs. */
module.exports.FUNCTION_ACCESS = FUNCTION_ACCESS;
