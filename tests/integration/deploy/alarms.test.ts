/**
 * The packaged template's alarms, alarm topic and dashboard: each alarm watches the right metric of the
 * right resource, notifies the topic when it fires and when it clears, and takes its threshold from
 * the stage parameters.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packageService, type Template } from '../../support/package-service.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:on-call';
const EMAIL = 'on-call@example.com';

interface Dimension {
  Name: string;
  Value: unknown;
}
interface MetricQuery {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: Dimension[] };
    Period: number;
    Stat: string;
  };
}
interface AlarmProperties {
  AlarmName: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  ComparisonOperator: string;
  Threshold: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  TreatMissingData: string;
  Namespace?: string;
  MetricName?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Statistic?: string;
  ExtendedStatistic?: string;
  Metrics?: MetricQuery[];
}

const serverlessYml = parse(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8')) as {
  params: Record<string, Record<string, unknown>>;
  functions: Record<string, { events?: { httpApi?: unknown }[] }>;
};

/** A stage's parameters as osls resolves them: the stage's own over `default`, `${env:X, 'y'}` resolved. */
function stageParams(stage: string): Record<string, unknown> {
  const merged = { ...serverlessYml.params.default, ...serverlessYml.params[stage] };
  return Object.fromEntries(
    Object.entries(merged).map(([key, value]) => {
      const match = typeof value === 'string' ? /^\$\{env:(\w+),\s*'([^']*)'\}$/.exec(value) : null;
      return [key, match ? match[2] : value];
    }),
  );
}

const FUNCTIONS = Object.keys(serverlessYml.functions);
const OPERATIONS = FUNCTIONS.filter((name) =>
  (serverlessYml.functions[name]?.events ?? []).some((event) => event.httpApi !== undefined),
);
const capitalised = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const params = stageParams('prod');
const threshold = (name: string) => Number(params[name]);

function alarm(template: Template, logicalId: string): AlarmProperties {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`the template has no resource ${logicalId}`);
  expect(found.Type).toBe('AWS::CloudWatch::Alarm');
  return found.Properties as unknown as AlarmProperties;
}

const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** The logical id and properties of the one resource of `type`; throws unless there is exactly one. */
function only(template: Template, type: string): [string, Record<string, unknown>] {
  const found = ofType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0] as [string, { Properties: Record<string, unknown> }];
  return [logicalId, resource.Properties];
}

const dimensions = (list: Dimension[] | undefined) =>
  Object.fromEntries((list ?? []).map(({ Name, Value }) => [Name, Value]));

/** The metrics an alarm reads: its single metric, or each metric of its metric math. */
function metricsOf(properties: AlarmProperties) {
  if (properties.Metrics) {
    return properties.Metrics.filter((query) => query.MetricStat).map((query) => ({
      namespace: query.MetricStat?.Metric.Namespace,
      name: query.MetricStat?.Metric.MetricName,
      dimensions: dimensions(query.MetricStat?.Metric.Dimensions),
      period: query.MetricStat?.Period,
      stat: query.MetricStat?.Stat,
    }));
  }
  return [
    {
      namespace: properties.Namespace,
      name: properties.MetricName,
      dimensions: dimensions(properties.Dimensions),
      period: properties.Period,
      stat: properties.Statistic ?? properties.ExtendedStatistic,
    },
  ];
}

/** The one expression an alarm's metric math returns. */
function returned(properties: AlarmProperties): MetricQuery {
  const found = (properties.Metrics ?? []).filter((query) => query.ReturnData);
  expect(found).toHaveLength(1);
  return found[0] as MetricQuery;
}

const ref = (logicalId: string) => ({ Ref: logicalId });
const SWEEP_INTERVAL_SECONDS: Record<string, number> = { minute: 60, hour: 3_600, day: 86_400 };
function sweepIntervalSeconds(): number {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(String(params.sweepSchedule));
  if (!match) throw new Error(`unexpected sweepSchedule ${String(params.sweepSchedule)}`);
  return Number(match[1]) * (SWEEP_INTERVAL_SECONDS[match[2] as string] as number);
}

describe('alarms, alarm topic and dashboard in the packaged template', () => {
  /** prod as checked in: no topic given, so the stack creates one. */
  let prod: Template;
  /** prod with an existing topic and an email address. */
  let existingTopic: Template;
  /** prod with only an email address: it subscribes to the created topic. */
  let emailOnly: Template;

  beforeAll(async () => {
    [prod, existingTopic, emailOnly] = await Promise.all([
      packageService({ stage: 'prod' }),
      packageService({ stage: 'prod', env: { ALARM_TOPIC_ARN: TOPIC_ARN, ALARM_EMAIL: EMAIL } }),
      packageService({ stage: 'prod', env: { ALARM_EMAIL: EMAIL } }),
    ]);
  }, 240_000);

  describe('the topic', () => {
    it('is created, encrypted with a key CloudWatch may use, when alarmTopicArn is empty', () => {
      const [topicId, topic] = only(prod, 'AWS::SNS::Topic');
      const keyId = (topic.KmsMasterKeyId as { Ref: string }).Ref;
      const key = prod.Resources[keyId];
      const keyPolicy = key?.Properties.KeyPolicy as { Statement: Record<string, unknown>[] } | undefined;
      const keyStatements = keyPolicy?.Statement ?? [];
      const [, policy] = only(prod, 'AWS::SNS::TopicPolicy');

      expect(ofType(prod, 'AWS::SNS::Topic')).toHaveLength(1);
      expect(key?.Type).toBe('AWS::KMS::Key');
      expect(key?.Properties.EnableKeyRotation).toBe(true);
      expect(keyStatements).toContainEqual(
        expect.objectContaining({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      );
      expect(policy.Topics).toEqual([ref(topicId)]);
      expect(JSON.stringify(policy.PolicyDocument)).toContain('cloudwatch.amazonaws.com');
      expect(
        (prod as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs.AlarmTopicArn?.Value,
      ).toEqual(ref(topicId));
    });

    it('is not created when alarmTopicArn names one', () => {
      expect(ofType(existingTopic, 'AWS::SNS::Topic')).toEqual([]);
      expect(ofType(existingTopic, 'AWS::KMS::Key')).toEqual([]);
      expect(ofType(existingTopic, 'AWS::SNS::TopicPolicy')).toEqual([]);
    });

    it.each([
      ['the existing topic', () => existingTopic, TOPIC_ARN],
      ['the created topic', () => emailOnly, ref('AlarmTopic')],
    ])('subscribes alarmEmail to %s', (_name, template, topic) => {
      const subscriptions = ofType(template(), 'AWS::SNS::Subscription').map(
        ([, resource]) => resource.Properties,
      );

      expect(subscriptions).toEqual([{ TopicArn: topic, Protocol: 'email', Endpoint: EMAIL }]);
    });

    it('subscribes nobody without alarmEmail', () => {
      expect(ofType(prod, 'AWS::SNS::Subscription')).toEqual([]);
    });

    it.each([
      ['the created topic', () => prod, ref('AlarmTopic')],
      ['the existing topic', () => existingTopic, TOPIC_ARN],
    ])('is what every alarm notifies, on ALARM and on OK (%s)', (_name, template, topic) => {
      const alarms = [
        ...ofType(template(), 'AWS::CloudWatch::Alarm'),
        ...ofType(template(), 'AWS::CloudWatch::CompositeAlarm'),
      ];

      expect(alarms.length).toBeGreaterThan(20);
      for (const [logicalId, resource] of alarms) {
        expect(resource.Properties.AlarmActions, logicalId).toEqual([topic]);
        expect(resource.Properties.OKActions, logicalId).toEqual([topic]);
      }
    });

    it.each([
      [{ ALARM_TOPIC_ARN: 'arn:aws:iam::123456789012:role/x' }, /alarmTopicArn must be an SNS topic ARN/],
      [{ ALARM_EMAIL: 'on-call@example.com, boss@example.com' }, /alarmEmail must be one email address/],
    ])(
      'refuses %o',
      async (env, message) => {
        await expect(packageService({ stage: 'prod', env })).rejects.toThrow(message);
      },
      180_000,
    );
  });

  describe('every function', () => {
    it.each(FUNCTIONS)('%s: Errors above the threshold in 5 minutes', (name) => {
      const properties = alarm(prod, `${capitalised(name)}FunctionErrorsAlarm`);

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/Lambda',
          name: 'Errors',
          dimensions: { FunctionName: ref(`${capitalised(name)}LambdaFunction`) },
          period: 300,
          stat: 'Sum',
        },
      ]);
      expect(properties.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(properties.Threshold).toBe(threshold('alarmFunctionErrors'));
      expect(properties.TreatMissingData).toBe('notBreaching');
    });

    it.each(FUNCTIONS)('%s: Throttles above the threshold', (name) => {
      const properties = alarm(prod, `${capitalised(name)}FunctionThrottlesAlarm`);

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/Lambda',
          name: 'Throttles',
          dimensions: { FunctionName: ref(`${capitalised(name)}LambdaFunction`) },
          period: 300,
          stat: 'Sum',
        },
      ]);
      expect(properties.Threshold).toBe(threshold('alarmFunctionThrottles'));
    });

    it('every session operation: UNAVAILABLE and INTERNAL answers, summed over all of them', () => {
      const properties = alarm(prod, 'ServerErrorsAlarm');
      const metrics = metricsOf(properties);

      expect(metrics.map((metric) => metric.dimensions.operation).sort()).toEqual([...OPERATIONS].sort());
      for (const metric of metrics) {
        expect(metric).toMatchObject({ namespace: 'session-service', name: 'ServerErrors', stat: 'Sum' });
        expect(metric.dimensions.service).toBe('session-service');
      }
      expect(returned(properties).Expression).toMatch(/^SUM\(\[/);
      expect(properties.Threshold).toBe(threshold('alarmServerErrors'));
    });
  });

  describe('the HTTP API', () => {
    it('5xx rate: 5xx over Count of the API, in percent', () => {
      const properties = alarm(prod, 'Api5xxRateAlarm');

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/ApiGateway',
          name: '5xx',
          dimensions: { ApiId: ref('HttpApi') },
          period: 300,
          stat: 'Sum',
        },
        {
          namespace: 'AWS/ApiGateway',
          name: 'Count',
          dimensions: { ApiId: ref('HttpApi') },
          period: 300,
          stat: 'Sum',
        },
      ]);
      expect(returned(properties).Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
      expect(properties.Threshold).toBe(threshold('alarmApi5xxRatePercent'));
    });

    it('p99 latency above the threshold', () => {
      const properties = alarm(prod, 'ApiLatencyAlarm');

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/ApiGateway',
          name: 'Latency',
          dimensions: { ApiId: ref('HttpApi') },
          period: 300,
          stat: 'p99',
        },
      ]);
      expect(properties.ExtendedStatistic).toBe('p99');
      expect(properties.Threshold).toBe(threshold('alarmApiLatencyP99Ms'));
    });
  });

  describe('DynamoDB', () => {
    const table = { TableName: ref('SessionsTable') };
    const index = { ...table, GlobalSecondaryIndexName: 'byUpdatedAt' };

    it.each([
      ['TableThrottledRequestsAlarm', 'ThrottledRequests', 'alarmDynamoThrottles'],
      ['TableSystemErrorsAlarm', 'SystemErrors', 'alarmDynamoSystemErrors'],
    ])('%s: %s of every operation the functions call on the table', (logicalId, metricName, param) => {
      const properties = alarm(prod, logicalId);
      const metrics = metricsOf(properties);

      expect(metrics.map((metric) => metric.dimensions.Operation).sort()).toEqual(
        ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'].sort(),
      );
      for (const metric of metrics) {
        expect(metric).toMatchObject({ namespace: 'AWS/DynamoDB', name: metricName, stat: 'Sum' });
        expect(metric.dimensions.TableName).toEqual(ref('SessionsTable'));
      }
      expect(returned(properties).Expression).toMatch(/^SUM\(\[/);
      expect(properties.Threshold).toBe(threshold(param));
    });

    it.each([
      ['TableReadThrottlesAlarm', 'ReadThrottleEvents', table],
      ['TableWriteThrottlesAlarm', 'WriteThrottleEvents', table],
      ['IndexReadThrottlesAlarm', 'ReadThrottleEvents', index],
      ['IndexWriteThrottlesAlarm', 'WriteThrottleEvents', index],
    ])('%s: %s', (logicalId, metricName, expected) => {
      const properties = alarm(prod, logicalId);

      expect(metricsOf(properties)).toEqual([
        { namespace: 'AWS/DynamoDB', name: metricName, dimensions: expected, period: 60, stat: 'Sum' },
      ]);
      expect(properties.Threshold).toBe(threshold('alarmDynamoThrottles'));
    });
  });

  describe('the sweep', () => {
    /** The sweep publishes into the namespace and `service` its function's environment gives Powertools. */
    const sweepEnvironment = () => {
      const sweep = prod.Resources.SweepLambdaFunction;
      if (!sweep) throw new Error('the template has no SweepLambdaFunction');
      return (sweep.Properties.Environment as { Variables: Record<string, string> }).Variables;
    };

    it('dead-letter queue: visible messages above the threshold', () => {
      const properties = alarm(prod, 'SweepDeadLetterAlarm');

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/SQS',
          name: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'QueueName'] } },
          period: 300,
          stat: 'Maximum',
        },
      ]);
      expect(properties.Threshold).toBe(threshold('alarmDeadLetterMessages'));
    });

    it('errors: SweepErrors above the threshold, in the namespace and service the sweep publishes to', () => {
      const properties = alarm(prod, 'SweepErrorsAlarm');
      const env = sweepEnvironment();

      expect(metricsOf(properties)).toEqual([
        {
          namespace: env.POWERTOOLS_METRICS_NAMESPACE,
          name: 'SweepErrors',
          dimensions: { service: env.POWERTOOLS_SERVICE_NAME },
          period: Math.min(sweepIntervalSeconds(), 86_400),
          stat: 'Sum',
        },
      ]);
      expect(properties.Threshold).toBe(threshold('alarmSweepErrors'));
      expect(properties.TreatMissingData).toBe('notBreaching');
    });

    it('incomplete: SweepIncomplete in alarmSweepIncompleteRuns runs in a row', () => {
      const properties = alarm(prod, 'SweepIncompleteAlarm');
      const runs = threshold('alarmSweepIncompleteRuns');
      const [metric] = metricsOf(properties);

      expect(metric).toMatchObject({ name: 'SweepIncomplete', stat: 'Maximum' });
      expect(metric?.dimensions).toEqual({ service: sweepEnvironment().POWERTOOLS_SERVICE_NAME });
      expect(properties.DatapointsToAlarm).toBe(runs);
      expect((properties.Period as number) * properties.EvaluationPeriods).toBe(
        runs * Math.max(sweepIntervalSeconds(), properties.Period as number),
      );
      expect(properties.Threshold).toBe(0);
      expect(properties.ComparisonOperator).toBe('GreaterThanThreshold');
    });

    it('silent: no report for two schedule intervals is breaching', () => {
      const properties = alarm(prod, 'SweepSilentAlarm');
      const [metric] = metricsOf(properties);

      expect(metric).toMatchObject({
        namespace: sweepEnvironment().POWERTOOLS_METRICS_NAMESPACE,
        name: 'SweepDurationMs',
        stat: 'SampleCount',
      });
      expect(properties.TreatMissingData).toBe('breaching');
      expect(properties.ComparisonOperator).toBe('LessThanThreshold');
      expect(properties.Threshold).toBe(1);
      expect((properties.Period as number) * properties.EvaluationPeriods).toBe(2 * sweepIntervalSeconds());
      expect(properties.DatapointsToAlarm).toBe(properties.EvaluationPeriods);
    });
  });

  it('points every alarm at a section of docs/OPERATIONS.md', () => {
    const runbook = readFileSync(new URL('../../../docs/OPERATIONS.md', import.meta.url), 'utf8');
    const sections = new Set([...runbook.matchAll(/^### (\S+)$/gm)].map((match) => match[1]));
    const alarms = [
      ...ofType(prod, 'AWS::CloudWatch::Alarm'),
      ...ofType(prod, 'AWS::CloudWatch::CompositeAlarm'),
    ];

    for (const [logicalId, resource] of alarms) {
      const anchor = /docs\/OPERATIONS\.md#([\w-]+)/.exec(String(resource.Properties.AlarmDescription))?.[1];
      expect(sections.has(anchor), `${logicalId} → #${anchor}`).toBe(true);
    }
  });

  it('has a composite "service unhealthy" alarm over alarms that exist', () => {
    const [, composite] = only(prod, 'AWS::CloudWatch::CompositeAlarm');
    const names = new Set(
      ofType(prod, 'AWS::CloudWatch::Alarm').map(([, resource]) => resource.Properties.AlarmName),
    );
    const referenced = [...String(composite.AlarmRule).matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1]);

    expect(referenced.length).toBeGreaterThanOrEqual(5);
    for (const name of referenced) expect(names.has(name)).toBe(true);
    expect(referenced).toContain('session-service-prod-api-5xx-rate');
  });

  describe('the dashboard', () => {
    const body = () => {
      const [, dashboard] = only(prod, 'AWS::CloudWatch::Dashboard');
      return (dashboard.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    };

    it('exists, once, and is JSON once its placeholders are filled', () => {
      expect(ofType(prod, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
      const filled = body().replace(/\$\{[^}]+\}/g, 'value');
      expect(() => JSON.parse(filled)).not.toThrow();
    });

    it.each(FUNCTIONS)('references the function %s', (name) => {
      expect(body()).toContain(`"FunctionName","\${${capitalised(name)}LambdaFunction}"`);
    });

    it.each(OPERATIONS)('graphs the route of %s', (name) => {
      for (const event of serverlessYml.functions[name]?.events ?? []) {
        const route = event.httpApi as { method: string; path: string } | undefined;
        if (route) expect(body()).toContain(`"Method","${route.method}","Resource","${route.path}"`);
      }
    });

    it('references only resources of the template', () => {
      const placeholders = [...body().matchAll(/\$\{([^}]+)\}/g)].map(
        (match) => (match[1] as string).split('.')[0],
      );

      for (const id of placeholders) {
        if (!id?.startsWith('AWS::')) expect(prod.Resources[id as string], id).toBeDefined();
      }
    });
  });

  describe('logs and API metrics', () => {
    it('keeps every function log for logRetentionInDays', () => {
      const groups = ofType(prod, 'AWS::Logs::LogGroup');

      expect(groups).toHaveLength(FUNCTIONS.length);
      for (const [, group] of groups)
        expect(group.Properties.RetentionInDays).toBe(threshold('logRetentionInDays'));
    });

    it('turns per-route API metrics on as apiDetailedMetrics says', () => {
      const [, stage] = only(prod, 'AWS::ApiGatewayV2::Stage');

      expect((stage.DefaultRouteSettings as Record<string, unknown>).DetailedMetricsEnabled).toBe(
        params.apiDetailedMetrics === true,
      );
    });
  });
});
