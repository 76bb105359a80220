/**
 * The dashboard body, built without packaging: valid JSON, laid out on CloudWatch's 24-column grid,
 * and every graphed metric one that the service (lib/handlers/metric-names.json) or AWS publishes, with the
 * dimensions it is published under. Also the sweep-interval arithmetic the sweep's alarms rely on.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../../lib/handlers/metrics.ts';

const require = createRequire(import.meta.url);
const { dashboardBody } = require('../../../lib/deploy/dashboard.cjs') as {
  dashboardBody: (input: Record<string, unknown>) => { widgets: Widget[] };
};
const { scheduleIntervalSeconds, sweepPeriods } = require('../../../lib/deploy/alarms.cjs') as {
  scheduleIntervalSeconds: (expression: string) => number;
  sweepPeriods: (seconds: number) => { period: number; perInterval: number };
};

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { metrics?: unknown[][]; alarms?: string[]; query?: string; region?: string };
}

const NAMESPACE = 'session-service';
const SERVICE = 'session-service';
const FUNCTIONS = ['createOrGet', 'getSession', 'update', 'clear', 'delete', 'sweep'].map((name) => ({
  name,
  logicalId: `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`,
}));
const OPERATIONS = FUNCTIONS.map((fn) => fn.name).filter((name) => name !== 'sweep');

/**
 * What AWS publishes, by namespace: each metric with the dimension sets it is published under
 * (CloudWatch user guides: Lambda, HTTP API, DynamoDB, SQS metrics).
 */
const AWS_METRICS: Record<string, Record<string, string[][]>> = {
  'AWS/Lambda': Object.fromEntries(
    ['Invocations', 'Errors', 'Throttles', 'Duration'].map((name) => [name, [['FunctionName']]]),
  ),
  'AWS/ApiGateway': Object.fromEntries(
    ['Count', '4xx', '5xx', 'Latency', 'IntegrationLatency'].map((name) => [
      name,
      [['ApiId'], ['ApiId', 'Stage'], ['ApiId', 'Method', 'Resource', 'Stage']],
    ]),
  ),
  'AWS/DynamoDB': {
    ConsumedReadCapacityUnits: [['TableName'], ['GlobalSecondaryIndexName', 'TableName']],
    ConsumedWriteCapacityUnits: [['TableName'], ['GlobalSecondaryIndexName', 'TableName']],
    ReadThrottleEvents: [['TableName'], ['GlobalSecondaryIndexName', 'TableName']],
    WriteThrottleEvents: [['TableName'], ['GlobalSecondaryIndexName', 'TableName']],
    ThrottledRequests: [['Operation', 'TableName']],
    SystemErrors: [['Operation', 'TableName']],
  },
  'AWS/SQS': { ApproximateNumberOfMessagesVisible: [['QueueName']] },
};

/** What the service publishes: its operation metrics by service and operation, the sweep's by service. */
const SERVICE_METRICS: Record<string, string[][]> = {
  ...Object.fromEntries(METRIC_NAMES.operation.map((name) => [name, [['operation', 'service']]])),
  ...Object.fromEntries(METRIC_NAMES.sweep.map((name) => [name, [['service']]])),
};

const body = () =>
  dashboardBody({
    functions: FUNCTIONS,
    operations: OPERATIONS,
    routes: [
      { method: 'PUT', path: '/sessions/{userId}' },
      { method: 'GET', path: '/sessions/{userId}' },
    ],
    namespace: NAMESPACE,
    service: SERVICE,
    sweepPeriodSeconds: 3_600,
    alarms: ['Api5xxRateAlarm'],
    metricNames: METRIC_NAMES,
  });

/** A metric line of a widget as namespace, name and the names of its dimensions, sorted. */
function readMetric(line: unknown[]) {
  const [namespace, name, ...rest] = line;
  const pairs = rest.filter((item) => typeof item !== 'object');
  const dimensionNames = pairs.filter((_, index) => index % 2 === 0).map(String);
  return { namespace: String(namespace), name: String(name), dimensions: dimensionNames.sort(), pairs };
}

const metricWidgets = () => body().widgets.filter((widget) => widget.type === 'metric');

describe('dashboard body', () => {
  it('is valid JSON with its CloudFormation placeholders filled in', () => {
    const text = JSON.stringify(body()).replace(/\$\{[^}]+\}/g, 'value');

    expect(JSON.parse(text)).toMatchObject({ widgets: expect.any(Array) });
  });

  it('lays its widgets on the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const widget of body().widgets) {
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      for (let x = widget.x; x < widget.x + widget.width; x++) {
        for (let y = widget.y; y < widget.y + widget.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('graphs only metrics that the service or AWS publishes, under their dimensions', () => {
    const unknown: string[] = [];
    let lines = 0;
    for (const widget of metricWidgets()) {
      for (const line of widget.properties.metrics ?? []) {
        lines++;
        const { namespace, name, dimensions } = readMetric(line);
        const known = namespace === NAMESPACE ? SERVICE_METRICS[name] : AWS_METRICS[namespace]?.[name];
        const matches = known?.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(dimensions));
        if (!matches) unknown.push(`${namespace} ${name} [${dimensions.join(', ')}]`);
      }
    }

    expect(lines).toBeGreaterThan(30);
    expect(unknown).toEqual([]);
  });

  it('shows every metric the service publishes', () => {
    const graphed = new Set(
      metricWidgets().flatMap((widget) =>
        (widget.properties.metrics ?? [])
          .map(readMetric)
          .filter((metric) => metric.namespace === NAMESPACE)
          .map((metric) => metric.name),
      ),
    );

    expect([...graphed].sort()).toEqual([...METRIC_NAMES.operation, ...METRIC_NAMES.sweep].sort());
  });

  it('shows every function, every operation and every route', () => {
    const text = JSON.stringify(body());

    for (const { logicalId } of FUNCTIONS) expect(text).toContain(`"FunctionName","\${${logicalId}}"`);
    for (const operation of OPERATIONS) expect(text).toContain(`"operation","${operation}"`);
    expect(text).toContain('"Method","PUT","Resource","/sessions/{userId}"');
    expect(text).toContain('"Method","GET","Resource","/sessions/{userId}"');
  });

  it('names no user: the only dimension values of service metrics are the service and the operations', () => {
    for (const widget of metricWidgets()) {
      for (const line of widget.properties.metrics ?? []) {
        const { namespace, pairs } = readMetric(line);
        if (namespace !== NAMESPACE) continue;
        const values = pairs.filter((_, index) => index % 2 === 1);
        for (const value of values) expect([SERVICE, ...OPERATIONS]).toContain(value);
      }
    }
  });

  it('reads the sweep per run: one point per schedule interval', () => {
    const sweepWidgets = metricWidgets().filter((widget) =>
      (widget.properties.metrics ?? []).some((line) => METRIC_NAMES.sweep.includes(String(line[1]))),
    );

    expect(sweepWidgets.length).toBeGreaterThan(0);
    for (const widget of sweepWidgets) expect((widget.properties as { period: number }).period).toBe(3_600);
  });
});

describe('sweep schedule arithmetic', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(15 minutes)', 900],
    ['rate(1 hour)', 3_600],
    ['rate(6 hours)', 21_600],
    ['rate(1 day)', 86_400],
    ['rate(3 days)', 259_200],
  ])('reads %s as %i seconds', (expression, seconds) => {
    expect(scheduleIntervalSeconds(expression)).toBe(seconds);
  });

  it.each(['cron(0 3 * * ? *)', 'rate(1 week)', 'rate(0.5 hours)', 'rate(0 minutes)', ''])(
    'refuses %j',
    (expression) => {
      expect(() => scheduleIntervalSeconds(expression)).toThrow(/sweepSchedule must be rate/);
    },
  );

  it.each([
    [3_600, { period: 3_600, perInterval: 1 }],
    [86_400, { period: 86_400, perInterval: 1 }],
    [259_200, { period: 86_400, perInterval: 3 }],
  ])('alarms on a %i s interval with periods of %o', (seconds, expected) => {
    expect(sweepPeriods(seconds)).toEqual(expected);
  });
});
