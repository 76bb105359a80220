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
  'AWS/Lambda': {
    ...Object.fromEntries(
      ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'].map((name) => [
        name,
        [['FunctionName']],
      ]),
    ),
    ClaimedAccountConcurrency: [[]],
  },
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
    SuccessfulRequestLatency: [['Operation', 'TableName']],
  },
  'AWS/SQS': { ApproximateNumberOfMessagesVisible: [['QueueName']] },
};

const ACCESS_LOG_STATUSES = [401, 403, 429];

/**
 * What the service publishes: its operation metrics by service and operation, the sweep's by service,
 * and the statuses counted from the access log by service.
 */
const SERVICE_METRICS: Record<string, string[][]> = {
  ...Object.fromEntries(METRIC_NAMES.operation.map((name) => [name, [['operation', 'service']]])),
  ...Object.fromEntries(METRIC_NAMES.sweep.map((name) => [name, [['service']]])),
  ...Object.fromEntries(ACCESS_LOG_STATUSES.map((status) => [`Api${status}`, [['service']]])),
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
    reservations: { update: 1_387, getSession: 400 },
    accountConcurrency: 2_500,
    accessLogStatuses: ACCESS_LOG_STATUSES,
  });

/** A metric line of a widget as namespace, name and the names of its dimensions, sorted. */
function readMetric(line: unknown[]) {
  const [namespace, name, ...rest] = line;
  const pairs = rest.filter((item) => typeof item !== 'object');
  const dimensionNames = pairs.filter((_, index) => index % 2 === 0).map(String);
  return { namespace: String(namespace), name: String(name), dimensions: dimensionNames.sort(), pairs };
}

const metricWidgets = () => body().widgets.filter((widget) => widget.type === 'metric');

/** The metric lines of a widget, without the lines that only hold a metric-math expression. */
const metricLines = (widget: Widget) =>
  (widget.properties.metrics ?? []).filter((line) => typeof line[0] === 'string');
/** The metric-math expressions of every widget. */
const expressions = () =>
  metricWidgets().flatMap((widget) =>
    (widget.properties.metrics ?? [])
      .filter((line) => typeof line[0] === 'object')
      .map((line) => String((line[0] as { expression?: string }).expression)),
  );

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
      for (const line of metricLines(widget)) {
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
        metricLines(widget)
          .map(readMetric)
          .filter((metric) => metric.namespace === NAMESPACE)
          .map((metric) => metric.name),
      ),
    );

    expect([...graphed].sort()).toEqual(
      [
        ...METRIC_NAMES.operation,
        ...METRIC_NAMES.sweep,
        ...ACCESS_LOG_STATUSES.map((status) => `Api${status}`),
      ].sort(),
    );
    // Each worker's heartbeat, whatever the worker count: a search over the `worker` dimension.
    expect(
      expressions().some((expression) => expression.includes(`MetricName="${METRIC_NAMES.sweepWorker[0]}"`)),
    ).toBe(true);
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
      for (const line of metricLines(widget)) {
        const { namespace, pairs } = readMetric(line);
        if (namespace !== NAMESPACE) continue;
        const values = pairs.filter((_, index) => index % 2 === 1);
        for (const value of values) expect([SERVICE, ...OPERATIONS]).toContain(value);
      }
    }
  });

  it('graphs concurrency against each reservation and the account quota, and DynamoDB latency per operation', () => {
    const text = JSON.stringify(body());

    expect(text).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation placeholder of the body
      '"ConcurrentExecutions","FunctionName","${UpdateLambdaFunction}",{"label":"update (of 1387)"}',
    );
    expect(text).toContain('"ClaimedAccountConcurrency",{"label":"account claimed (of 2500)"}');
    for (const operation of ['GetItem', 'UpdateItem', 'DeleteItem', 'Query']) {
      expect(text).toContain(
        `"SuccessfulRequestLatency","TableName","\${SessionsTable}","Operation","${operation}"`,
      );
    }
  });

  it("graphs the chatbot path's error rate: server errors and invocations less the HTTP API's", () => {
    const [expression] = expressions().filter((candidate) => candidate.includes('api5xx'));

    expect(expression).toMatch(
      /^100 \* \(SUM\(\[err0, .*\]\) - api5xx\) \/ \(SUM\(\[inv0, .*\]\) - apiCount\)$/,
    );
  });

  it('reads the sweep per run: one point per schedule interval', () => {
    const sweepWidgets = metricWidgets().filter((widget) =>
      metricLines(widget).some((line) => METRIC_NAMES.sweep.includes(String(line[1]))),
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
