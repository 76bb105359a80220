// The CloudWatch dashboard of one stage, built as data. `dashboardBody` is pure: it returns the body
// with CloudFormation `${...}` placeholders (logical ids, `AWS::Region`) that alarms.cjs resolves
// with Fn::Sub, so tests can read it without packaging.
/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders, not JavaScript templates */

const WIDTH = 24;

/** Lays widgets out left to right, `perRow` to a row, each `height` tall, starting at row `y`. */
function row(y, height, widgets) {
  const width = Math.floor(WIDTH / widgets.length);
  return widgets.map((widget, index) => ({ ...widget, x: index * width, y, width, height }));
}

/** A time-series widget; `metrics` uses the dashboard body's array form. */
function graph(title, metrics, { stat = 'Sum', period = 300, view = 'timeSeries' } = {}) {
  return {
    type: 'metric',
    properties: { title, region: '${AWS::Region}', view, stat, period, metrics },
  };
}

/**
 * The dashboard body.
 * - `functions`: every function, `{ name, logicalId }` (logical id of its AWS::Lambda::Function);
 * - `operations`: the session operations (the `operation` dimension of the service's metrics);
 * - `routes`: the HTTP API's routes, `{ method, path }`;
 * - `namespace`, `service`: where the service's own metrics are (namespace and `service` dimension);
 * - `sweepPeriodSeconds`: one sweep interval, so that each point of the sweep's graphs is one run;
 * - `alarms`: logical ids of the alarms to show at the top;
 * - `metricNames`: lib/handlers/metric-names.json, the metrics the service publishes;
 * - `reservations`: reserved concurrency of each session function that has one, by name;
 * - `accountConcurrency`: the account's concurrency quota in the Region;
 * - `accessLogStatuses`: the HTTP statuses counted from the access log (metrics `Api<status>`).
 */
function dashboardBody({
  functions,
  operations,
  routes,
  namespace,
  service,
  sweepPeriodSeconds,
  alarms,
  metricNames,
  reservations = {},
  accountConcurrency = 1000,
  accessLogStatuses = [],
}) {
  const api = ['ApiId', '${HttpApi}'];
  const table = ['TableName', '${SessionsTable}'];
  const index = [...table, 'GlobalSecondaryIndexName', 'byUpdatedAt'];
  const route = ({ method, path }) => [...api, 'Stage', '$default', 'Method', method, 'Resource', path];
  const routeLabel = ({ method, path }) => `${method} ${path}`;
  const fn = ({ logicalId }) => ['FunctionName', `\${${logicalId}}`];
  const perFunction = (metric, stat) =>
    functions.map((f) => ['AWS/Lambda', metric, ...fn(f), { label: f.name, stat }]);
  const perOperation = (metric) =>
    operations.map((operation) => [
      namespace,
      metric,
      'service',
      service,
      'operation',
      operation,
      { label: operation },
    ]);
  // DynamoDB reports ThrottledRequests and SystemErrors per API operation.
  const dynamoOperations = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'];
  const sweep = (metric, stat) => [namespace, metric, 'service', service, { label: metric, stat }];
  const operationMetricWidgets = metricNames.operation.map((metric) =>
    graph(`${metric} by operation`, perOperation(metric)),
  );

  const widgets = [
    ...row(0, 4, [
      {
        type: 'alarm',
        properties: {
          title: 'Alarms',
          alarms: alarms.map((logicalId) => `\${${logicalId}.Arn}`),
          sortBy: 'stateUpdatedTimestamp',
          states: [],
        },
      },
    ]),
    ...row(4, 6, [
      graph('HTTP API: requests and errors', [
        ['AWS/ApiGateway', 'Count', ...api, { label: 'requests' }],
        ['AWS/ApiGateway', '4xx', ...api, { label: '4xx' }],
        ['AWS/ApiGateway', '5xx', ...api, { label: '5xx' }],
      ]),
      graph('HTTP API: latency (ms)', [
        ['AWS/ApiGateway', 'Latency', ...api, { label: 'p50', stat: 'p50' }],
        ['AWS/ApiGateway', 'Latency', ...api, { label: 'p99', stat: 'p99' }],
        ['AWS/ApiGateway', 'IntegrationLatency', ...api, { label: 'integration p99', stat: 'p99' }],
      ]),
    ]),
    ...row(10, 6, [
      graph(
        'Requests per route',
        routes.map((r) => ['AWS/ApiGateway', 'Count', ...route(r), { label: routeLabel(r) }]),
      ),
      graph(
        'Errors per route (4xx, 5xx)',
        routes.flatMap((r) => [
          ['AWS/ApiGateway', '4xx', ...route(r), { label: `${routeLabel(r)} 4xx` }],
          ['AWS/ApiGateway', '5xx', ...route(r), { label: `${routeLabel(r)} 5xx` }],
        ]),
      ),
      graph(
        'Latency per route, p50 and p99 (ms)',
        routes.flatMap((r) => [
          ['AWS/ApiGateway', 'Latency', ...route(r), { label: `${routeLabel(r)} p50`, stat: 'p50' }],
          ['AWS/ApiGateway', 'Latency', ...route(r), { label: `${routeLabel(r)} p99`, stat: 'p99' }],
        ]),
      ),
    ]),
    ...row(16, 6, [
      graph('Invocations per function', perFunction('Invocations', 'Sum')),
      graph('Errors and throttles per function', [
        ...perFunction('Errors', 'Sum'),
        ...functions.map((f) => ['AWS/Lambda', 'Throttles', ...fn(f), { label: `${f.name} throttles` }]),
      ]),
      graph('Duration p50 per function (ms)', perFunction('Duration', 'p50')),
      graph('Duration p99 per function (ms)', perFunction('Duration', 'p99')),
    ]),
    ...row(22, 6, operationMetricWidgets.slice(0, 3)),
    ...row(28, 6, operationMetricWidgets.slice(3)),
    ...row(34, 6, [
      graph('DynamoDB consumed capacity: table and byUpdatedAt index', [
        ['AWS/DynamoDB', 'ConsumedReadCapacityUnits', ...table, { label: 'table RCU' }],
        ['AWS/DynamoDB', 'ConsumedWriteCapacityUnits', ...table, { label: 'table WCU' }],
        ['AWS/DynamoDB', 'ConsumedReadCapacityUnits', ...index, { label: 'index RCU' }],
        ['AWS/DynamoDB', 'ConsumedWriteCapacityUnits', ...index, { label: 'index WCU' }],
      ]),
      graph('DynamoDB throttling: table and byUpdatedAt index', [
        ['AWS/DynamoDB', 'ReadThrottleEvents', ...table, { label: 'table read throttles' }],
        ['AWS/DynamoDB', 'WriteThrottleEvents', ...table, { label: 'table write throttles' }],
        ['AWS/DynamoDB', 'ReadThrottleEvents', ...index, { label: 'index read throttles' }],
        ['AWS/DynamoDB', 'WriteThrottleEvents', ...index, { label: 'index write throttles' }],
        ...dynamoOperations.map((operation) => [
          'AWS/DynamoDB',
          'ThrottledRequests',
          ...table,
          'Operation',
          operation,
          { label: `throttled ${operation}` },
        ]),
      ]),
      graph(
        'DynamoDB system errors',
        dynamoOperations.map((operation) => [
          'AWS/DynamoDB',
          'SystemErrors',
          ...table,
          'Operation',
          operation,
          { label: operation },
        ]),
      ),
    ]),
    ...row(40, 6, [
      graph(
        'Sweep per run: swept, skipped, errors',
        [sweep('SessionsSwept', 'Sum'), sweep('SessionsSkipped', 'Sum'), sweep('SweepErrors', 'Sum')],
        { period: sweepPeriodSeconds },
      ),
      graph(
        'Sweep per run: duration (ms) and incomplete runs',
        [sweep('SweepDurationMs', 'Maximum'), sweep('SweepIncomplete', 'Maximum')],
        { period: sweepPeriodSeconds },
      ),
      graph(
        'Sweep dead-letter queue: messages',
        [
          [
            'AWS/SQS',
            'ApproximateNumberOfMessagesVisible',
            'QueueName',
            '${SweepDeadLetterQueue.QueueName}',
            {
              label: 'visible',
            },
          ],
        ],
        { stat: 'Maximum' },
      ),
    ]),
    ...row(46, 6, [
      {
        type: 'log',
        properties: {
          title: 'Sweep runs (from the sweep log)',
          region: '${AWS::Region}',
          view: 'table',
          query: [
            `SOURCE '/aws/lambda/\${${functions.find((f) => f.name === 'sweep')?.logicalId ?? 'SweepLambdaFunction'}}'`,
            "filter message in ['sweep finished', 'sweep interrupted']",
            'fields @timestamp, message, report.deleted, report.skipped, report.errors, report.complete, report.durationMs',
            'sort @timestamp desc',
            'limit 50',
          ].join(' | '),
        },
      },
    ]),
    ...row(52, 6, [
      graph(
        'HTTP API 4xx: all, and by status from the access log',
        [
          ['AWS/ApiGateway', '4xx', ...api, { label: '4xx' }],
          ...accessLogStatuses.map((status) => [
            namespace,
            `Api${status}`,
            'service',
            service,
            { label: String(status) },
          ]),
        ],
        { period: 60 },
      ),
      graph(
        'Chatbot path (direct invocation): server errors, % of calls',
        [
          ...operations.map((operation, i) => [
            namespace,
            'ServerErrors',
            'service',
            service,
            'operation',
            operation,
            { id: `err${i}`, visible: false },
          ]),
          ...functions
            .filter((f) => operations.includes(f.name))
            .map((f, i) => ['AWS/Lambda', 'Invocations', ...fn(f), { id: `inv${i}`, visible: false }]),
          ['AWS/ApiGateway', '5xx', ...api, { id: 'api5xx', visible: false }],
          ['AWS/ApiGateway', 'Count', ...api, { id: 'apiCount', visible: false }],
          [
            {
              expression: `100 * (SUM([${operations.map((_, i) => `err${i}`).join(', ')}]) - api5xx) / (SUM([${operations.map((_, i) => `inv${i}`).join(', ')}]) - apiCount)`,
              label: 'chatbot path server errors %',
              id: 'chatbotRate',
            },
          ],
        ],
        { period: 60 },
      ),
    ]),
    ...row(58, 6, [
      graph(
        'Concurrency against reservations and the account quota',
        [
          ...functions
            .filter((f) => reservations[f.name] > 0)
            .map((f) => [
              'AWS/Lambda',
              'ConcurrentExecutions',
              ...fn(f),
              { label: `${f.name} (of ${reservations[f.name]})` },
            ]),
          [
            'AWS/Lambda',
            'ClaimedAccountConcurrency',
            { label: `account claimed (of ${accountConcurrency})` },
          ],
        ],
        { stat: 'Maximum', period: 60 },
      ),
      graph(
        'DynamoDB latency per operation, average (ms)',
        dynamoOperations.map((operation) => [
          'AWS/DynamoDB',
          'SuccessfulRequestLatency',
          ...table,
          'Operation',
          operation,
          { label: operation },
        ]),
        { stat: 'Average', period: 60 },
      ),
      graph(
        'Sweep heartbeats per worker',
        [
          [
            {
              expression: `SEARCH('{${namespace},service,worker} MetricName="${metricNames.sweepWorker[0]}"', 'Sum', ${sweepPeriodSeconds})`,
              label: 'worker',
              id: 'heartbeats',
            },
          ],
        ],
        { period: sweepPeriodSeconds },
      ),
    ]),
    ...row(64, 6, [
      {
        type: 'log',
        properties: {
          title: 'HTTP API access log: requests by route and status (no user ids: route keys only)',
          region: '${AWS::Region}',
          view: 'table',
          query: [
            "SOURCE '${HttpApiLogGroup}'",
            'stats count(*) as requests, avg(responseLatency) as avgMs by routeKey, status',
            'sort requests desc',
            'limit 50',
          ].join(' | '),
        },
      },
    ]),
  ];
  return { start: '-PT24H', periodOverride: 'inherit', widgets };
}

module.exports = { dashboardBody };
