/**
 * The packaged template's alarms, alarm topics and dashboard: each alarm watches the right metric of
 * the right resource, belongs to one tier (page or ticket) and takes its threshold from the stage
 * parameters. Ticket alarms notify the ticket topic when they fire and when they clear; page alarms are
 * children of one composite that alone notifies the page topic.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packageService, REQUIRED_SETTINGS, type Template } from '../../support/package-service.ts';

const PAGE_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:pager';
const TICKET_EMAIL = 'tickets@example.com';
/** The other way round from REQUIRED_SETTINGS: page to an existing topic, tickets to a created one. */
const SWAPPED_SETTINGS = {
  jwtIssuerUrl: REQUIRED_SETTINGS.jwtIssuerUrl,
  jwtAudience: REQUIRED_SETTINGS.jwtAudience,
  chatbotRoleArn: REQUIRED_SETTINGS.chatbotRoleArn,
  pageTopicArn: PAGE_TOPIC_ARN,
  ticketEmail: TICKET_EMAIL,
  sweepWorkers: 3,
};

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
  ActionsEnabled: boolean;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
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

describe('alarms, alarm topics and dashboard in the packaged template', () => {
  /** prod as deployed: page tier to a created topic with an address, ticket tier to an existing topic. */
  let prod: Template;
  /** The other way round, and three sweep workers. */
  let swapped: Template;

  beforeAll(async () => {
    [prod, swapped] = await Promise.all([
      packageService({ stage: 'prod', params: REQUIRED_SETTINGS }),
      packageService({ stage: 'prod', params: SWAPPED_SETTINGS }),
    ]);
  }, 240_000);

  const alarms = (template: Template) => ofType(template, 'AWS::CloudWatch::Alarm');
  const composite = (template: Template) => only(template, 'AWS::CloudWatch::CompositeAlarm')[1];
  /** The logical ids of the composite's children, from its rule's `ALARM("${LogicalId}")` terms. */
  const children = (template: Template) => {
    const rule = composite(template).AlarmRule as { 'Fn::Join': [string, { 'Fn::Sub': string }[]] };
    expect(rule['Fn::Join'][0]).toBe(' OR ');
    return rule['Fn::Join'][1].map((term) => {
      const match = /^ALARM\("\$\{(\w+)\}"\)$/.exec(term['Fn::Sub']);
      if (!match) throw new Error(`unexpected term ${term['Fn::Sub']}`);
      return match[1] as string;
    });
  };
  const outputs = (template: Template) =>
    (template as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;

  describe('the topics', () => {
    it.each([
      ['page', () => prod, 'PageTopic'],
      ['ticket', () => swapped, 'TicketTopic'],
    ])(
      'creates the %s topic, encrypted with a key CloudWatch may use, when no ARN is given',
      (tier, template, topicId) => {
        const topics = ofType(template(), 'AWS::SNS::Topic');
        const [, topic] = topics[0] as [string, { Properties: Record<string, unknown> }];
        const keyId = (topic.Properties.KmsMasterKeyId as { Ref: string }).Ref;
        const key = template().Resources[keyId];
        const keyStatements =
          (key?.Properties.KeyPolicy as { Statement: Record<string, unknown>[] } | undefined)?.Statement ??
          [];
        const [, policy] = only(template(), 'AWS::SNS::TopicPolicy');

        expect(topics.map(([id]) => id)).toEqual([topicId]);
        expect(topic.Properties.TopicName).toBe(`session-service-prod-${tier}`);
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
      },
    );

    it('names where each tier notifies in the stack outputs', () => {
      expect(outputs(prod).PageTopicArn?.Value).toEqual(ref('PageTopic'));
      expect(outputs(prod).TicketTopicArn?.Value).toBe(REQUIRED_SETTINGS.ticketTopicArn);
      expect(outputs(swapped).PageTopicArn?.Value).toBe(PAGE_TOPIC_ARN);
      expect(outputs(swapped).TicketTopicArn?.Value).toEqual(ref('TicketTopic'));
    });

    it.each([
      ['prod', () => prod, ref('PageTopic'), REQUIRED_SETTINGS.pageEmail],
      ['swapped', () => swapped, ref('TicketTopic'), TICKET_EMAIL],
    ])('subscribes the one address given to its tier topic (%s)', (_name, template, topic, email) => {
      const subscriptions = ofType(template(), 'AWS::SNS::Subscription').map(
        ([, resource]) => resource.Properties,
      );

      expect(subscriptions).toEqual([{ TopicArn: topic, Protocol: 'email', Endpoint: email }]);
    });

    it.each([
      [{ pageTopicArn: 'arn:aws:iam::123456789012:role/x' }, /pageTopicArn must be an SNS topic ARN/],
      [{ ticketEmail: 'on-call@example.com, boss@example.com' }, /ticketEmail must be one email address/],
    ])(
      'refuses %o',
      async (cli, message) => {
        await expect(
          packageService({ stage: 'prod', params: { ...REQUIRED_SETTINGS, ...cli } }),
        ).rejects.toThrow(message);
      },
      180_000,
    );
  });

  describe('the tiers', () => {
    it.each([
      ['prod', () => prod, ref('PageTopic'), REQUIRED_SETTINGS.ticketTopicArn],
      ['swapped', () => swapped, PAGE_TOPIC_ARN, ref('TicketTopic')],
    ])(
      'pages only through the composite; every other alarm notifies the ticket topic (%s)',
      (_name, template, page, ticket) => {
        const paging = new Set(children(template()));
        const all = alarms(template());

        expect(all.length).toBeGreaterThan(30);
        expect(composite(template())).toMatchObject({
          ActionsEnabled: true,
          AlarmActions: [page],
          OKActions: [page],
        });
        for (const [logicalId, resource] of all) {
          const properties = resource.Properties as unknown as AlarmProperties;
          if (paging.has(logicalId)) {
            expect(properties.AlarmActions ?? [], logicalId).toEqual([]);
            expect(properties.OKActions ?? [], logicalId).toEqual([]);
            expect(properties.ActionsEnabled, logicalId).toBe(false);
          } else {
            expect(properties.AlarmActions, logicalId).toEqual([ticket]);
            expect(properties.OKActions, logicalId).toEqual([ticket]);
          }
        }
      },
    );

    it('pages for sustained, customer-visible trouble: both error paths, API 5xx and latency, lasting throttles, the sweep', () => {
      expect(children(prod).sort()).toEqual(
        [
          'ServerErrorRateAlarm',
          'Api5xxRateAlarm',
          'ApiLatencyAlarm',
          'TableThrottlingSustainedAlarm',
          ...OPERATIONS.map((name) => `${capitalised(name)}FunctionThrottlesAlarm`),
          'SweepDeadLetterAlarm',
          'SweepHeartbeat0Alarm',
        ].sort(),
      );
    });

    it('makes a ticket of one retried throttle, one DynamoDB 500, one failed run and one incomplete run', () => {
      const paging = new Set(children(prod));
      for (const id of [
        'TableThrottledRequestsAlarm',
        'TableSystemErrorsAlarm',
        'SweepErrorsAlarm',
        'SweepIncompleteAlarm',
        ...FUNCTIONS.map((name) => `${capitalised(name)}FunctionErrorsAlarm`),
      ]) {
        expect(paging.has(id), id).toBe(false);
        expect(alarm(prod, id).AlarmActions).toEqual([REQUIRED_SETTINGS.ticketTopicArn]);
      }
      expect(alarm(prod, 'TableThrottledRequestsAlarm').Threshold).toBe(threshold('alarmDynamoThrottles'));
      expect(alarm(prod, 'TableSystemErrorsAlarm').Threshold).toBe(threshold('alarmDynamoSystemErrors'));
      expect(alarm(prod, 'SweepIncompleteAlarm').DatapointsToAlarm).toBe(
        threshold('alarmSweepIncompleteRuns'),
      );
      expect(threshold('alarmSweepIncompleteRuns')).toBe(1);
    });

    it('lets CloudFormation order the composite after its children through their names, with no DependsOn', () => {
      expect(prod.Resources.ServiceUnhealthyAlarm).not.toHaveProperty('DependsOn');
      for (const id of children(prod)) expect(prod.Resources[id]?.Type).toBe('AWS::CloudWatch::Alarm');
    });
  });

  describe('rates', () => {
    /** The one expression the alarm returns, its guard and its window. */
    const rateOf = (logicalId: string) => {
      const properties = alarm(prod, logicalId);
      return { properties, expression: String(returned(properties).Expression) };
    };

    it.each([
      ['Api5xxRateAlarm', '5xx', 'alarmApi5xxRatePercent'],
      ['Api4xxRateAlarm', '4xx', 'alarmApi4xxRatePercent'],
    ])(
      '%s: %s over Count of the API, counted only with enough requests, M of N minutes',
      (logicalId, metricName, param) => {
        const { properties, expression } = rateOf(logicalId);

        expect(metricsOf(properties)).toEqual([
          {
            namespace: 'AWS/ApiGateway',
            name: metricName,
            dimensions: { ApiId: ref('HttpApi') },
            period: 60,
            stat: 'Sum',
          },
          {
            namespace: 'AWS/ApiGateway',
            name: 'Count',
            dimensions: { ApiId: ref('HttpApi') },
            period: 60,
            stat: 'Sum',
          },
        ]);
        expect(expression).toBe(
          `IF(requests >= ${threshold('alarmMinRequests')}, 100 * errors / requests, 0)`,
        );
        expect(properties.Threshold).toBe(threshold(param));
        expect(properties.EvaluationPeriods).toBe(threshold('alarmRateEvaluationPeriods'));
        expect(properties.DatapointsToAlarm).toBe(threshold('alarmRateDatapoints'));
        expect(properties.DatapointsToAlarm).toBeLessThan(properties.EvaluationPeriods);
      },
    );

    it("server errors: UNAVAILABLE and INTERNAL answers of every operation, both paths, over the functions' invocations", () => {
      const { properties, expression } = rateOf('ServerErrorRateAlarm');
      const metrics = metricsOf(properties);
      const errors = metrics.filter((metric) => metric.name === 'ServerErrors');
      const invocations = metrics.filter((metric) => metric.name === 'Invocations');

      expect(metrics).toHaveLength(errors.length + invocations.length);
      expect(metrics.length).toBeLessThanOrEqual(10);
      expect(errors.map((metric) => metric.dimensions.operation).sort()).toEqual(
        OPERATIONS.filter((name) => name !== 'erase').sort(),
      );
      for (const metric of errors) {
        expect(metric).toMatchObject({ namespace: 'session-service', stat: 'Sum', period: 60 });
        expect(metric.dimensions.service).toBe('session-service');
      }
      expect(invocations.map((metric) => metric.dimensions.FunctionName)).toEqual(
        OPERATIONS.filter((name) => name !== 'erase').map((name) =>
          ref(`${capitalised(name)}LambdaFunction`),
        ),
      );
      expect(expression).toBe(`IF(calls >= ${threshold('alarmMinRequests')}, 100 * errors / calls, 0)`);
      expect(properties.Threshold).toBe(threshold('alarmServerErrorRatePercent'));
      expect(properties.DatapointsToAlarm).toBe(threshold('alarmRateDatapoints'));
    });

    it('p99 latency above the threshold in M of N minutes', () => {
      const properties = alarm(prod, 'ApiLatencyAlarm');

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/ApiGateway',
          name: 'Latency',
          dimensions: { ApiId: ref('HttpApi') },
          period: 60,
          stat: 'p99',
        },
      ]);
      expect(properties.Threshold).toBe(threshold('alarmApiLatencyP99Ms'));
      expect(properties.DatapointsToAlarm).toBe(threshold('alarmRateDatapoints'));
    });
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
      expect(properties.Threshold).toBe(threshold('alarmFunctionErrors'));
      expect(properties.TreatMissingData).toBe('notBreaching');
    });

    it.each(OPERATIONS)('%s: throttled in every minute of alarmThrottleSustainedMinutes', (name) => {
      const properties = alarm(prod, `${capitalised(name)}FunctionThrottlesAlarm`);

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/Lambda',
          name: 'Throttles',
          dimensions: { FunctionName: ref(`${capitalised(name)}LambdaFunction`) },
          period: 60,
          stat: 'Sum',
        },
      ]);
      expect(properties.EvaluationPeriods).toBe(threshold('alarmThrottleSustainedMinutes'));
      expect(properties.DatapointsToAlarm).toBe(properties.EvaluationPeriods);
    });

    it.each(OPERATIONS)('%s: Duration p99 against its timeout', (name) => {
      const properties = alarm(prod, `${capitalised(name)}DurationAlarm`);
      const fn = prod.Resources[`${capitalised(name)}LambdaFunction`]?.Properties ?? {};
      const timeoutMs = 1000 * Number(fn.Timeout);

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/Lambda',
          name: 'Duration',
          dimensions: { FunctionName: ref(`${capitalised(name)}LambdaFunction`) },
          period: 300,
          stat: 'p99',
        },
      ]);
      expect(properties.Threshold).toBe((timeoutMs * threshold('alarmDurationTimeoutPercent')) / 100);
    });

    it.each(OPERATIONS)('%s: ConcurrentExecutions against its reservation', (name) => {
      const properties = alarm(prod, `${capitalised(name)}ConcurrencyAlarm`);
      const reservation = (params.reservedConcurrency as Record<string, number>)[name] as number;
      const fn = prod.Resources[`${capitalised(name)}LambdaFunction`]?.Properties;

      expect(fn?.ReservedConcurrentExecutions).toBe(reservation);
      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/Lambda',
          name: 'ConcurrentExecutions',
          dimensions: { FunctionName: ref(`${capitalised(name)}LambdaFunction`) },
          period: 60,
          stat: 'Maximum',
        },
      ]);
      expect(properties.Threshold).toBe(
        Math.floor((reservation * threshold('alarmConcurrencyPercent')) / 100),
      );
    });

    it('the account: ClaimedAccountConcurrency against its quota', () => {
      const properties = alarm(prod, 'AccountConcurrencyAlarm');

      expect(metricsOf(properties)).toEqual([
        {
          namespace: 'AWS/Lambda',
          name: 'ClaimedAccountConcurrency',
          dimensions: {},
          period: 60,
          stat: 'Maximum',
        },
      ]);
      expect(properties.Threshold).toBe(
        Math.floor((threshold('accountConcurrency') * threshold('alarmAccountConcurrencyPercent')) / 100),
      );
    });
  });

  describe('DynamoDB', () => {
    const table = { TableName: ref('SessionsTable') };
    const index = { ...table, GlobalSecondaryIndexName: 'byUpdatedAt' };
    const OPERATIONS_CALLED = ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'];

    it.each([
      ['TableThrottledRequestsAlarm', 'ThrottledRequests', 'Sum', 'SUM'],
      ['TableThrottlingSustainedAlarm', 'ThrottledRequests', 'Sum', 'SUM'],
      ['TableSystemErrorsAlarm', 'SystemErrors', 'Sum', 'SUM'],
      ['TableLatencyAlarm', 'SuccessfulRequestLatency', 'Average', 'MAX'],
    ])(
      '%s: %s of every operation the functions call on the table',
      (logicalId, metricName, stat, combine) => {
        const properties = alarm(prod, logicalId);
        const metrics = metricsOf(properties);

        expect(metrics.map((metric) => metric.dimensions.Operation).sort()).toEqual(OPERATIONS_CALLED);
        for (const metric of metrics) {
          expect(metric).toMatchObject({ namespace: 'AWS/DynamoDB', name: metricName, stat, period: 60 });
          expect(metric.dimensions.TableName).toEqual(ref('SessionsTable'));
        }
        expect(returned(properties).Expression).toMatch(new RegExp(`^${combine}\\(\\[`));
      },
    );

    it('pages on throttling only when every minute of alarmThrottleSustainedMinutes had some', () => {
      const properties = alarm(prod, 'TableThrottlingSustainedAlarm');

      expect(properties.Threshold).toBe(0);
      expect(properties.EvaluationPeriods).toBe(threshold('alarmThrottleSustainedMinutes'));
      expect(properties.DatapointsToAlarm).toBe(properties.EvaluationPeriods);
    });

    it("latency: the slowest operation's average above alarmDynamoLatencyMs", () => {
      expect(alarm(prod, 'TableLatencyAlarm').Threshold).toBe(threshold('alarmDynamoLatencyMs'));
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
    });

    it.each([
      ['one worker', () => prod, 1],
      ['three workers', () => swapped, 3],
    ])('heartbeat: one per worker, breaching after two silent intervals (%s)', (_name, template, workers) => {
      const heartbeats = alarms(template()).filter(([id]) => /^SweepHeartbeat\d+Alarm$/.test(id));

      expect(heartbeats.map(([id]) => id)).toEqual(
        Array.from({ length: workers }, (_, worker) => `SweepHeartbeat${worker}Alarm`),
      );
      for (const [id, resource] of heartbeats) {
        const properties = resource.Properties as unknown as AlarmProperties;
        const worker = /\d+/.exec(id)?.[0];
        expect(metricsOf(properties)).toEqual([
          {
            namespace: sweepEnvironment().POWERTOOLS_METRICS_NAMESPACE,
            name: 'SweepHeartbeat',
            dimensions: { service: sweepEnvironment().POWERTOOLS_SERVICE_NAME, worker },
            period: sweepIntervalSeconds(),
            stat: 'Sum',
          },
        ]);
        expect(properties.TreatMissingData).toBe('breaching');
        expect(properties.ComparisonOperator).toBe('LessThanThreshold');
        expect(properties.Threshold).toBe(1);
        expect((properties.Period as number) * properties.EvaluationPeriods).toBe(2 * sweepIntervalSeconds());
      }
      expect(children(template())).toEqual(expect.arrayContaining(heartbeats.map(([id]) => id)));
    });
  });

  it('points every alarm at a section of docs/OPERATIONS.md', () => {
    const runbook = readFileSync(new URL('../../../docs/OPERATIONS.md', import.meta.url), 'utf8');
    const sections = new Set([...runbook.matchAll(/^### (\S+)$/gm)].map((match) => match[1]));
    const all = [...alarms(prod), ...ofType(prod, 'AWS::CloudWatch::CompositeAlarm')];

    for (const [logicalId, resource] of all) {
      const anchor = /docs\/OPERATIONS\.md#([\w-]+)/.exec(String(resource.Properties.AlarmDescription))?.[1];
      expect(sections.has(anchor), `${logicalId} → #${anchor}`).toBe(true);
    }
  });

  describe('the access log', () => {
    it.each([401, 403, 429])('counts status %i from the access log', (status) => {
      const filter = prod.Resources[`Api${status}MetricFilter`];

      expect(filter?.Type).toBe('AWS::Logs::MetricFilter');
      expect(filter?.Properties).toMatchObject({
        LogGroupName: ref('HttpApiLogGroup'),
        FilterPattern: `{ $.status = ${status} }`,
        MetricTransformations: [
          { MetricNamespace: 'session-service', MetricName: `Api${status}`, MetricValue: '1' },
        ],
      });
    });
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

    it.each(OPERATIONS)('graphs the route of %s and its concurrency against its reservation', (name) => {
      for (const event of serverlessYml.functions[name]?.events ?? []) {
        const route = event.httpApi as { method: string; path: string } | undefined;
        if (route) expect(body()).toContain(`"Method","${route.method}","Resource","${route.path}"`);
      }
      expect(body()).toContain(
        `"ConcurrentExecutions","FunctionName","\${${capitalised(name)}LambdaFunction}"`,
      );
    });

    it('graphs DynamoDB latency, the chatbot path error rate and the 4xx breakdown', () => {
      expect(body()).toContain('"SuccessfulRequestLatency"');
      expect(body()).toContain('chatbot path server errors %');
      for (const status of [401, 429]) expect(body()).toContain(`"Api${status}"`);
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
      const groups = ofType(prod, 'AWS::Logs::LogGroup').filter(([id]) => id !== 'HttpApiLogGroup');

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

describe('alarmTopics, for other template modules', () => {
  const { alarmTopics } = createRequire(import.meta.url)('../../../lib/deploy/alarms.cjs') as {
    alarmTopics: (resolve: (address: string) => Promise<unknown>) => Promise<Record<string, unknown>>;
  };
  const resolverOf = (values: Record<string, string>) => async (address: string) =>
    values[address.replace(/^param:/, '')] ?? '';

  it('gives each tier the existing topic its parameter names, or a Ref to the created one', async () => {
    expect(await alarmTopics(resolverOf({ ticketTopicArn: REQUIRED_SETTINGS.ticketTopicArn }))).toEqual({
      page: { Ref: 'PageTopic' },
      ticket: REQUIRED_SETTINGS.ticketTopicArn,
    });
    expect(await alarmTopics(resolverOf({ pageTopicArn: PAGE_TOPIC_ARN }))).toEqual({
      page: PAGE_TOPIC_ARN,
      ticket: { Ref: 'TicketTopic' },
    });
  });
});
