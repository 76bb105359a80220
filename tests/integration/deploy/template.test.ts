/**
 * What `serverless package` would deploy: the CloudFormation template, checked resource by resource
 * for least privilege, data safety, authorization, throttling, CORS and the sweep's schedule.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAX_ACTIVITY_SHARDS } from '../../../lib/config.ts';
import {
  packageService,
  REQUIRED_SETTINGS,
  type Resource,
  type Template,
} from '../../support/package-service.ts';

const CHATBOT_ROLE_ARN = REQUIRED_SETTINGS.chatbotRoleArn;
// CloudFormation's own ${...} syntax, not a JavaScript template.
// biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholder
const INDEX_ARN_SUB = '${SessionsTable.Arn}/index/byUpdatedAt';
// biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholder
const STREAMS_ARN_SUB = '${SessionsTable.Arn}/stream/*';
const SCHEDULE_GROUP_ARN_SUB =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
  'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/default';

/** Each function, its logical id prefix, and the only DynamoDB grants it may hold. */
const FUNCTIONS = {
  createOrGet: {
    id: 'CreateOrGet',
    grants: ['dynamodb:GetItem on table', 'dynamodb:UpdateItem on table'],
  },
  getSession: { id: 'GetSession', grants: ['dynamodb:GetItem on table'] },
  update: { id: 'Update', grants: ['dynamodb:GetItem on table', 'dynamodb:UpdateItem on table'] },
  clear: { id: 'Clear', grants: ['dynamodb:GetItem on table', 'dynamodb:UpdateItem on table'] },
  delete: {
    id: 'Delete',
    grants: ['dynamodb:DeleteItem on table', 'dynamodb:GetItem on table', 'dynamodb:UpdateItem on table'],
  },
  erase: { id: 'Erase', grants: ['dynamodb:DeleteItem on table'] },
  exportUser: { id: 'ExportUser', grants: ['dynamodb:GetItem on table'] },
  sweep: { id: 'Sweep', grants: ['dynamodb:DeleteItem on table', 'dynamodb:Query on index'] },
  // The events consumer (lib/deploy/events.cjs): the table's stream, the bus and its dead-letter queue.
  publishEvents: {
    id: 'PublishEvents',
    grants: [
      'dynamodb:DescribeStream on stream',
      'dynamodb:GetRecords on stream',
      'dynamodb:GetShardIterator on stream',
      "dynamodb:ListStreams on the table's streams",
      'events:PutEvents on {"Fn::GetAtt":["EventBus","Arn"]}',
      'sqs:SendMessage on {"Fn::GetAtt":["EventsDeadLetterQueue","Arn"]}',
    ],
  },
} as const;
type FunctionName = keyof typeof FUNCTIONS;
const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];
const SESSION_FUNCTIONS = FUNCTION_NAMES.filter((name) => name !== 'sweep' && name !== 'publishEvents');

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface PolicyDocument {
  Statement: Statement[];
}
interface RoleProperties {
  AssumeRolePolicyDocument: PolicyDocument;
  Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
  ManagedPolicyArns?: unknown[];
}
interface FunctionProperties {
  FunctionName: string;
  Runtime: string;
  Architectures: string[];
  Timeout: number;
  MemorySize?: number;
  ReservedConcurrentExecutions?: number;
  Role: unknown;
  Environment: { Variables: Record<string, string> };
}
interface PermissionProperties {
  Action: string;
  FunctionName: unknown;
  Principal: string;
}
interface ScheduleTarget {
  Arn: unknown;
  RoleArn: unknown;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn: unknown };
}
interface CorsConfiguration {
  AllowOrigins: string[];
  AllowMethods: string[];
  AllowHeaders: string[];
  ExposeHeaders: string[];
}

// ---------------------------------------------------------------------------------------------------
// Reading serverless.yml and walking the template
// ---------------------------------------------------------------------------------------------------

const serverlessYml = parse(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8')) as {
  params: Record<string, Record<string, unknown>>;
};

/** A stage's parameters as osls resolves them: `--param` over the stage's own over `default`. */
function stageParams(stage: string, cli: Record<string, unknown> = {}): Record<string, unknown> {
  const merged = { ...serverlessYml.params.default, ...serverlessYml.params[stage] };
  const resolveEnv = (value: unknown) => {
    if (typeof value !== 'string') return value;
    const match = /^\$\{env:(\w+),\s*'([^']*)'\}$/.exec(value);
    return match ? match[2] : value;
  };
  return {
    ...Object.fromEntries(Object.entries(merged).map(([key, value]) => [key, resolveEnv(value)])),
    ...cli,
  };
}

function resource(template: Template, logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`the template has no resource ${logicalId}`);
  return found;
}

const properties = <T>(template: Template, logicalId: string) =>
  resource(template, logicalId).Properties as unknown as T;

const resourcesOfType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, candidate]) => candidate.Type === type);

/** The properties of the one resource of `type`; throws unless there is exactly one. */
function onlyOfType<T>(template: Template, type: string): T {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return (found[0] as [string, Resource])[1].Properties as unknown as T;
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, or undefined for anything else. */
function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const node = value as Record<string, unknown>;
  if (typeof node.Ref === 'string') return node.Ref;
  const getAtt = node['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt[0] as string;
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

const isGetAttArn = (value: unknown, logicalId: string) =>
  JSON.stringify(value) === JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] }) ||
  JSON.stringify(value) === JSON.stringify({ 'Fn::GetAtt': `${logicalId}.Arn` });

/** `table`, `index` (byUpdatedAt), or the resource as JSON when it is neither. */
function describeResource(value: unknown): string {
  if (isGetAttArn(value, 'SessionsTable')) return 'table';
  const node = value as Record<string, unknown> | null;
  if (JSON.stringify(value) === JSON.stringify({ 'Fn::GetAtt': ['SessionsTable', 'StreamArn'] }))
    return 'stream';
  if (node?.['Fn::Sub'] === STREAMS_ARN_SUB) return "the table's streams";
  if (node?.['Fn::Sub'] === INDEX_ARN_SUB) return 'index';
  const join = node?.['Fn::Join'] as [string, unknown[]] | undefined;
  if (
    join?.[0] === '' &&
    join[1].length === 2 &&
    isGetAttArn(join[1][0], 'SessionsTable') &&
    join[1][1] === '/index/byUpdatedAt'
  ) {
    return 'index';
  }
  return JSON.stringify(value);
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

const isLogsStatement = (statement: Statement) =>
  statement.Action !== undefined &&
  asList(statement.Action).every((action) => typeof action === 'string' && action.startsWith('logs:'));

/** Every policy document in the template that grants or denies something, named by where it sits. */
function policyDocuments(template: Template): [string, PolicyDocument][] {
  const documents: [string, PolicyDocument][] = [];
  for (const [logicalId, candidate] of Object.entries(template.Resources)) {
    const props = candidate.Properties as {
      PolicyDocument?: PolicyDocument;
      Policies?: RoleProperties['Policies'];
    };
    if (candidate.Type === 'AWS::IAM::Role') {
      for (const policy of props.Policies ?? []) {
        documents.push([`${logicalId}/${policy.PolicyName}`, policy.PolicyDocument]);
      }
    } else if (props?.PolicyDocument) {
      documents.push([logicalId, props.PolicyDocument]);
    }
  }
  return documents;
}

/** What a function's role allows, as `action on resource`, leaving out its own log writes. */
function grantsBeyondLogs(template: Template, roleId: string): string[] {
  const role = properties<RoleProperties>(template, roleId);
  const statements = (role.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = Object.values(template.Resources)
    .filter(
      (candidate) => candidate.Type === 'AWS::IAM::Policy' || candidate.Type === 'AWS::IAM::ManagedPolicy',
    )
    .filter((candidate) =>
      asList((candidate.Properties as { Roles?: unknown }).Roles ?? []).some(
        (attachedTo) => referencedId(attachedTo) === roleId,
      ),
    )
    .flatMap(
      (candidate) => (candidate.Properties as { PolicyDocument: PolicyDocument }).PolicyDocument.Statement,
    );
  return [...statements, ...attached]
    .filter((statement) => !isLogsStatement(statement))
    .flatMap((statement) =>
      asList(statement.Action ?? 'NotAction').flatMap((action) =>
        asList(statement.Resource ?? 'NotResource').map(
          (target) =>
            `${statement.Effect === 'Allow' ? '' : `${statement.Effect} `}${action} on ${describeResource(target)}`,
        ),
      ),
    )
    .sort();
}

const lambdaPermissions = (template: Template) =>
  resourcesOfType(template, 'AWS::Lambda::Permission').map(
    ([logicalId, permission]) =>
      [logicalId, permission.Properties as unknown as PermissionProperties] as const,
  );

// ---------------------------------------------------------------------------------------------------

describe('CloudFormation template from serverless package', () => {
  /** prod as deployed: the required settings on the command line, chatbot role included. */
  let prod: Template;
  /** dev: zero configuration, no chatbot role. */
  let dev: Template;
  /** prod sized for a large deployment on the command line: 64 shards, 4 sweep workers, warm throughput. */
  let scaled: Template;
  const scaledParams = {
    ...REQUIRED_SETTINGS,
    activityShards: 64,
    sweepWorkers: 4,
    tableWarmReadUnitsPerSecond: 12_000,
    tableWarmWriteUnitsPerSecond: 4_000,
    indexWarmWriteUnitsPerSecond: 4_000,
  };

  beforeAll(async () => {
    [prod, dev, scaled] = await Promise.all([
      packageService({ stage: 'prod', params: REQUIRED_SETTINGS }),
      packageService({ stage: 'dev' }),
      packageService({ stage: 'prod', params: scaledParams }),
    ]);
  }, 240_000);

  describe('IAM', () => {
    const roleOf = (template: Template, name: FunctionName) =>
      referencedId(properties<FunctionProperties>(template, `${FUNCTIONS[name].id}LambdaFunction`).Role);

    it('deploys exactly the seven functions', () => {
      expect(
        resourcesOfType(prod, 'AWS::Lambda::Function')
          .map(([logicalId]) => logicalId)
          .sort(),
      ).toEqual(FUNCTION_NAMES.map((name) => `${FUNCTIONS[name].id}LambdaFunction`).sort());
    });

    it('gives every function a role of its own that only Lambda can assume', () => {
      const roles = FUNCTION_NAMES.map((name) => roleOf(prod, name));

      expect(new Set(roles).size).toBe(FUNCTION_NAMES.length);
      for (const roleId of roles) {
        const role = properties<RoleProperties>(prod, roleId as string);
        expect(resource(prod, roleId as string).Type).toBe('AWS::IAM::Role');
        expect(role.ManagedPolicyArns ?? []).toEqual([]);
        expect(role.AssumeRolePolicyDocument.Statement).toEqual([
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ]);
      }
    });

    it.each(FUNCTION_NAMES)('lets %s use only its own DynamoDB actions on the sessions table', (name) => {
      const roleId = roleOf(prod, name) as string;

      expect(grantsBeyondLogs(prod, roleId)).toEqual([...FUNCTIONS[name].grants].sort());
    });

    it.each(FUNCTION_NAMES)('lets %s write logs only to its own log group', (name) => {
      const role = properties<RoleProperties>(prod, roleOf(prod, name) as string);
      const functionName = properties<FunctionProperties>(
        prod,
        `${FUNCTIONS[name].id}LambdaFunction`,
      ).FunctionName;
      const logStatements = (role.Policies ?? [])
        .flatMap((policy) => policy.PolicyDocument.Statement)
        .filter(isLogsStatement);

      expect(logStatements.length).toBeGreaterThan(0);
      for (const statement of logStatements) {
        expect(JSON.stringify(statement.Resource)).toContain(`:log-group:/aws/lambda/${functionName}:`);
      }
    });

    it.each([
      ['prod', () => prod],
      ['dev', () => dev],
    ])('allows no wildcard action or resource outside CloudWatch Logs (%s)', (_stage, template) => {
      const documents = policyDocuments(template());
      const violations: string[] = [];
      for (const [where, document] of documents) {
        for (const statement of document.Statement) {
          // A wildcard in a Deny (such as the deployment bucket's TLS-only rule) only takes rights away.
          if (statement.Effect === 'Deny') continue;
          if (statement.NotAction !== undefined) violations.push(`${where}: NotAction`);
          if (statement.NotResource !== undefined) violations.push(`${where}: NotResource`);
          const logsOnly = isLogsStatement(statement);
          for (const action of asList(statement.Action)) {
            if (JSON.stringify(action).includes('*') && !logsOnly)
              violations.push(`${where}: Action ${action}`);
          }
          for (const target of asList(statement.Resource)) {
            // ListStreams names no one stream: it is granted on the table's streams (docs/EVENTS.md).
            const tableStreams = describeResource(target) === "the table's streams";
            if (JSON.stringify(target).includes('*') && !logsOnly && !tableStreams) {
              violations.push(`${where}: Resource ${JSON.stringify(target)}`);
            }
          }
        }
      }

      // Eight roles (seven functions and the scheduler) at least, so the check cannot pass on nothing.
      expect(documents.length).toBeGreaterThanOrEqual(8);
      expect(violations).toEqual([]);
    });
  });

  describe('SessionsTable', () => {
    it('keeps the data: retained, protected, backed up and encrypted', () => {
      const table = resource(prod, 'SessionsTable');

      expect(table.Type).toBe('AWS::DynamoDB::Table');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    });

    it('bills per request, expires items on purgeAt and indexes keys only by shard and updatedBucket', () => {
      const table = resource(prod, 'SessionsTable').Properties;

      expect(table.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'purgeAt', Enabled: true });
      expect(table.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: 'byUpdatedAt',
          KeySchema: [
            { AttributeName: 'activityShard', KeyType: 'HASH' },
            { AttributeName: 'updatedBucket', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]);
    });

    it('can be deleted in dev', () => {
      const table = resource(dev, 'SessionsTable');

      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.UpdateReplacePolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    });
  });

  describe('HTTP API', () => {
    it('puts the JWT authorizer on every route', () => {
      const routes = resourcesOfType(prod, 'AWS::ApiGatewayV2::Route');

      expect(routes.map(([, route]) => route.Properties.RouteKey).sort()).toEqual([
        'DELETE /sessions/{userId}',
        'GET /sessions/{userId}',
        'PATCH /sessions/{userId}',
        'POST /sessions/{userId}/clear',
        'POST /sessions/{userId}/erase',
        'PUT /sessions/{userId}',
      ]);
      for (const [, route] of routes) {
        expect(route.Properties.AuthorizationType).toBe('JWT');
        const authorizer = resource(prod, referencedId(route.Properties.AuthorizerId) as string);
        expect(authorizer.Type).toBe('AWS::ApiGatewayV2::Authorizer');
        expect(authorizer.Properties.AuthorizerType).toBe('JWT');
      }
    });

    it.each([
      ['prod', () => prod, REQUIRED_SETTINGS],
      ['dev', () => dev, {}],
    ])('takes the issuer and audience from the stage parameters (%s)', (stage, template, cli) => {
      const params = stageParams(stage, cli);
      const authorizer = onlyOfType<Record<string, unknown>>(template(), 'AWS::ApiGatewayV2::Authorizer');

      expect(authorizer).toMatchObject({
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: params.jwtIssuerUrl, Audience: [params.jwtAudience] },
      });
    });

    describe('access log', () => {
      const stageOf = (template: Template) =>
        onlyOfType<{ AccessLogSettings: { DestinationArn: unknown; Format: string } }>(
          template,
          'AWS::ApiGatewayV2::Stage',
        ).AccessLogSettings;
      /** The format as one JSON line, each `$context` variable standing for a value. */
      const fields = (format: string) =>
        JSON.parse(format.replace(/\$context\.[\w.]+/g, '0')) as Record<string, unknown>;

      it('writes one JSON line per request to a log group of its own, kept accessLogRetentionInDays', () => {
        const { DestinationArn } = stageOf(prod);
        const group = resource(prod, 'HttpApiLogGroup');

        expect(DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
        expect(group.Type).toBe('AWS::Logs::LogGroup');
        expect(group.Properties.LogGroupName).not.toMatch(/^\/aws\/lambda\//);
        expect(group.Properties.RetentionInDays).toBe(stageParams('prod').accessLogRetentionInDays);
        expect(resource(dev, 'HttpApiLogGroup').Properties.RetentionInDays).toBe(
          stageParams('dev').accessLogRetentionInDays,
        );
      });

      it('carries the request id, route, status, latencies and the authorizer and integration errors', () => {
        const { Format } = stageOf(prod);

        expect(Object.keys(fields(Format))).toEqual(
          expect.arrayContaining([
            'requestId',
            'routeKey',
            'status',
            'responseLatency',
            'integrationLatency',
            'authorizerError',
            'integrationError',
          ]),
        );
        for (const variable of [
          '$context.requestId',
          '$context.routeKey',
          '$context.status',
          '$context.responseLatency',
          '$context.integrationLatency',
          '$context.authorizer.error',
          '$context.integrationErrorMessage',
        ]) {
          expect(Format).toContain(variable);
        }
      });

      it('carries no path (it holds the raw user id), no source IP, header, token or body', () => {
        const { Format } = stageOf(prod);
        const variables = Format.match(/\$context\.[\w.]+/g) ?? [];

        expect(variables.length).toBeGreaterThan(5);
        for (const variable of variables) {
          expect(variable).not.toMatch(/path|identity|sourceIp|header|authorizer\.claims|body|userAgent/i);
        }
      });
    });

    it('throttles the stage with the prod rate and burst limits', () => {
      const params = stageParams('prod');
      const stage = onlyOfType<{ DefaultRouteSettings?: Record<string, unknown> }>(
        prod,
        'AWS::ApiGatewayV2::Stage',
      );
      const settings = stage.DefaultRouteSettings ?? {};

      expect(settings.ThrottlingRateLimit).toBeTypeOf('number');
      expect(settings.ThrottlingBurstLimit).toBeTypeOf('number');
      expect(settings.ThrottlingRateLimit).toBeGreaterThan(0);
      expect(settings.ThrottlingBurstLimit).toBeGreaterThan(0);
      expect(settings.ThrottlingRateLimit).toBe(params.throttleRateLimit);
      expect(settings.ThrottlingBurstLimit).toBe(params.throttleBurstLimit);
    });

    it('allows only the listed origins in prod, with the methods and headers the API uses', () => {
      const cors = properties<{ CorsConfiguration: CorsConfiguration }>(prod, 'HttpApi').CorsConfiguration;

      expect(cors.AllowOrigins).toEqual(stageParams('prod').corsOrigins);
      expect(cors.AllowOrigins.length).toBeGreaterThan(0);
      for (const origin of cors.AllowOrigins) expect(origin).toMatch(/^https:\/\/[^*]+$/);
      expect([...cors.AllowMethods].sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
      expect([...cors.AllowHeaders].sort()).toEqual([
        'Authorization',
        'Content-Type',
        'Idempotency-Key',
        'If-Match',
      ]);
      expect([...cors.ExposeHeaders].sort()).toEqual(['ETag', 'Idempotent-Replayed', 'Location']);
    });

    it('allows any origin in dev', () => {
      const cors = properties<{ CorsConfiguration: CorsConfiguration }>(dev, 'HttpApi').CorsConfiguration;

      expect(cors.AllowOrigins).toEqual(['*']);
      expect([...cors.ExposeHeaders].sort()).toEqual(['ETag', 'Idempotent-Replayed', 'Location']);
    });
  });

  describe('sweep', () => {
    it('runs on a schedule that retries, dead-letters to the queue and uses a role of its own', () => {
      const { Target: target } = onlyOfType<{ Target: ScheduleTarget }>(prod, 'AWS::Scheduler::Schedule');
      const deadLetterQueue = referencedId(target.DeadLetterConfig?.Arn);
      const scheduleRole = referencedId(target.RoleArn) as string;
      const sweepRole = referencedId(properties<FunctionProperties>(prod, 'SweepLambdaFunction').Role);

      expect(isGetAttArn(target.Arn, 'SweepLambdaFunction')).toBe(true);
      expect(target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(target.RetryPolicy?.MaximumEventAgeInSeconds).toBeGreaterThan(0);
      expect(deadLetterQueue, 'DeadLetterConfig.Arn').toBeDefined();
      expect(resource(prod, deadLetterQueue as string).Type).toBe('AWS::SQS::Queue');
      expect(resource(prod, scheduleRole).Type).toBe('AWS::IAM::Role');
      expect(scheduleRole).not.toBe(sweepRole);
    });

    it('gives the schedule a role that only Scheduler assumes and that can only invoke and dead-letter', () => {
      const { Target: target } = onlyOfType<{ Target: ScheduleTarget }>(prod, 'AWS::Scheduler::Schedule');
      const role = properties<RoleProperties>(prod, referencedId(target.RoleArn) as string);
      const queue = referencedId(target.DeadLetterConfig?.Arn) ?? 'SweepDeadLetterQueue';
      const grants = (role.Policies ?? [])
        .flatMap((policy) => policy.PolicyDocument.Statement)
        .flatMap((statement) =>
          asList(statement.Action).flatMap((action) =>
            asList(statement.Resource).map(
              (target) => `${statement.Effect} ${action} on ${referencedId(target)}`,
            ),
          ),
        )
        .sort();

      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': SCHEDULE_GROUP_ARN_SUB } },
          },
        },
      ]);
      expect(grants).toEqual([
        'Allow lambda:InvokeFunction on SweepLambdaFunction',
        `Allow sqs:SendMessage on ${queue}`,
      ]);
    });

    it('binds every role a service other than Lambda assumes to this account and its source', () => {
      // The confused deputy: without aws:SourceAccount, the service could assume the role on behalf of
      // a resource in any account. Each schedule lives in the group its role's aws:SourceArn names.
      const serviceTrusts = resourcesOfType(prod, 'AWS::IAM::Role').flatMap(([logicalId, role]) =>
        (role.Properties as unknown as RoleProperties).AssumeRolePolicyDocument.Statement.map(
          (statement) => [logicalId, statement] as const,
        ),
      );
      const nonLambda = serviceTrusts.filter(
        ([, statement]) =>
          JSON.stringify(statement.Principal) !== JSON.stringify({ Service: 'lambda.amazonaws.com' }),
      );

      expect(nonLambda.map(([logicalId]) => logicalId)).toContain('SweepSchedulerRole');
      for (const [logicalId, statement] of nonLambda) {
        expect(statement.Effect, logicalId).toBe('Allow');
        expect(Object.keys(statement.Principal as object), logicalId).toEqual(['Service']);
        expect(statement.Condition?.StringEquals?.['aws:SourceAccount'], logicalId).toEqual({
          Ref: 'AWS::AccountId',
        });
        expect(statement.Condition?.ArnEquals?.['aws:SourceArn'], logicalId).toBeDefined();
      }
      for (const [, schedule] of resourcesOfType(prod, 'AWS::Scheduler::Schedule')) {
        const target = (schedule.Properties as { Target: ScheduleTarget; GroupName?: string }).Target;
        const roleId = referencedId(target.RoleArn) as string;
        const trust = properties<RoleProperties>(prod, roleId).AssumeRolePolicyDocument.Statement;
        const group = (schedule.Properties as { GroupName?: string }).GroupName ?? 'default';
        expect(trust.map((statement) => statement.Condition?.ArnEquals?.['aws:SourceArn'])).toEqual([
          { 'Fn::Sub': SCHEDULE_GROUP_ARN_SUB.replace(/default$/, group) },
        ]);
      }
    });

    it('runs one sweep at a time, with time for a long sweep', () => {
      const sweep = properties<FunctionProperties>(prod, 'SweepLambdaFunction');

      expect(sweep.ReservedConcurrentExecutions).toBe(1);
      expect(sweep.Timeout).toBeGreaterThanOrEqual(60);
      expect(sweep.Timeout).toBeLessThanOrEqual(900);
    });
  });

  describe('scale settings', () => {
    interface ScheduleProperties {
      ScheduleExpression: string;
      State: string;
      FlexibleTimeWindow?: { Mode: string };
      Target: ScheduleTarget & { Input: string };
    }
    const schedules = (template: Template) =>
      resourcesOfType(template, 'AWS::Scheduler::Schedule').map(
        ([, schedule]) => schedule.Properties as unknown as ScheduleProperties,
      );
    const sweepOf = (template: Template) => properties<FunctionProperties>(template, 'SweepLambdaFunction');

    it.each(FUNCTION_NAMES)(
      'gives %s the shard count, the bucket and the DynamoDB client settings',
      (name) => {
        const fn = properties<FunctionProperties>(scaled, `${FUNCTIONS[name].id}LambdaFunction`);
        const params = stageParams('prod');

        expect(fn.Environment.Variables).toMatchObject({
          ACTIVITY_SHARDS: '64',
          ACTIVITY_BUCKET: '1h',
          DYNAMODB_REQUEST_TIMEOUT_MS: String(params.dynamodbRequestTimeoutMs),
          DYNAMODB_MAX_ATTEMPTS: String(params.dynamodbMaxAttempts),
        });
        expect(
          properties<FunctionProperties>(prod, `${FUNCTIONS[name].id}LambdaFunction`).Environment.Variables
            .ACTIVITY_SHARDS,
        ).toBe('16');
      },
    );

    it('schedules one sweep per worker, with disjoint shares covering every shard value', () => {
      const found = schedules(scaled);
      const shares = found.map(
        (schedule) => (JSON.parse(schedule.Target.Input) as { shards: number[] }).shards,
      );
      const all = shares.flat();

      expect(found).toHaveLength(4);
      expect(all).toHaveLength(MAX_ACTIVITY_SHARDS);
      expect(new Set(all).size).toBe(MAX_ACTIVITY_SHARDS);
      expect([...all].sort((a, b) => a - b)).toEqual(
        Array.from({ length: MAX_ACTIVITY_SHARDS }, (_, i) => i),
      );
      // Each worker gets an equal part of the 64 shards in use.
      for (const share of shares) expect(share.filter((shard) => shard < 64)).toHaveLength(16);
    });

    it('gives every worker schedule the interval, the retry policy, the dead-letter queue and its own role', () => {
      for (const schedule of schedules(scaled)) {
        expect(schedule.ScheduleExpression).toBe(stageParams('prod').sweepSchedule);
        expect(schedule.State).toBe('ENABLED');
        expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
        expect(isGetAttArn(schedule.Target.Arn, 'SweepLambdaFunction')).toBe(true);
        expect(referencedId(schedule.Target.RoleArn)).toBe('SweepSchedulerRole');
        expect(schedule.Target.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
        expect(schedule.Target.RetryPolicy?.MaximumEventAgeInSeconds).toBeGreaterThan(0);
        expect(referencedId(schedule.Target.DeadLetterConfig?.Arn)).toBe('SweepDeadLetterQueue');
      }
    });

    it('reserves one environment per worker for the sweep, which ends before its next run', () => {
      const interval = /^rate\((\d+) minutes\)$/.exec(String(stageParams('prod').sweepSchedule));

      expect(sweepOf(scaled).ReservedConcurrentExecutions).toBe(4);
      expect(sweepOf(prod).ReservedConcurrentExecutions).toBe(1);
      expect(interval).not.toBeNull();
      expect(sweepOf(prod).Timeout).toBeLessThan(Number(interval?.[1]) * 60);
      expect(sweepOf(prod).Timeout).toBe(stageParams('prod').sweepTimeout);
      expect(sweepOf(prod).MemorySize).toBe(stageParams('prod').sweepMemory);
    });

    it('reserves the prod concurrency of each session function, and none in dev', () => {
      const reserved = stageParams('prod').reservedConcurrency as Record<string, number>;

      for (const name of SESSION_FUNCTIONS) {
        const id = `${FUNCTIONS[name].id}LambdaFunction`;
        expect(reserved[name]).toBeGreaterThan(0);
        expect(properties<FunctionProperties>(prod, id).ReservedConcurrentExecutions).toBe(reserved[name]);
        expect(properties<FunctionProperties>(dev, id).ReservedConcurrentExecutions).toBeUndefined();
      }
    });

    it('sets warm throughput on the table and the index only when asked, keeping the index definition', () => {
      const table = (template: Template) =>
        properties<{ WarmThroughput?: unknown; GlobalSecondaryIndexes: Record<string, unknown>[] }>(
          template,
          'SessionsTable',
        );
      const { WarmThroughput: _warm, ...scaledIndex } = table(scaled).GlobalSecondaryIndexes[0] ?? {};

      expect(table(prod).WarmThroughput).toBeUndefined();
      expect(table(prod).GlobalSecondaryIndexes[0]).not.toHaveProperty('WarmThroughput');
      expect(table(scaled).WarmThroughput).toEqual({
        ReadUnitsPerSecond: 12_000,
        WriteUnitsPerSecond: 4_000,
      });
      expect(table(scaled).GlobalSecondaryIndexes).toHaveLength(1);
      expect(table(scaled).GlobalSecondaryIndexes[0]?.WarmThroughput).toEqual({ WriteUnitsPerSecond: 4_000 });
      expect(scaledIndex).toEqual(table(prod).GlobalSecondaryIndexes[0]);
    });

    it.each([
      [{ activityShards: 300 }, /activityShards must be a whole number from 1 to 256/],
      [{ activityShards: 4, sweepWorkers: 8 }, /sweepWorkers must be a whole number from 1 to 4/],
    ])(
      'refuses %j at packaging',
      async (cli, message) => {
        await expect(
          packageService({ stage: 'prod', params: { ...REQUIRED_SETTINGS, ...cli } }),
        ).rejects.toThrow(message);
      },
      180_000,
    );
  });

  describe('chatbot invoke permission', () => {
    it('grants nobody but API Gateway without chatbotRoleArn (dev)', () => {
      const others = lambdaPermissions(dev).filter(
        ([, permission]) => permission.Principal !== 'apigateway.amazonaws.com',
      );

      expect(others).toEqual([]);
    });

    it.each(SESSION_FUNCTIONS)('grants the chatbot role exactly one invoke permission on %s', (name) => {
      const onFunction = lambdaPermissions(prod).filter(
        ([, permission]) => referencedId(permission.FunctionName) === `${FUNCTIONS[name].id}LambdaFunction`,
      );
      const forChatbot = onFunction.filter(([, permission]) => permission.Principal === CHATBOT_ROLE_ARN);

      expect(forChatbot).toHaveLength(1);
      expect(forChatbot[0]?.[1].Action).toBe('lambda:InvokeFunction');
    });

    it('grants the chatbot nothing on the sweep, and nobody else anything', () => {
      const others = lambdaPermissions(prod).filter(
        ([, permission]) => permission.Principal !== 'apigateway.amazonaws.com',
      );

      expect(others.map(([, permission]) => permission.Principal)).toEqual(
        SESSION_FUNCTIONS.map(() => CHATBOT_ROLE_ARN),
      );
      expect(
        lambdaPermissions(prod).filter(
          ([, permission]) => referencedId(permission.FunctionName) === 'SweepLambdaFunction',
        ),
      ).toEqual([]);
    });
  });

  describe('chatbot principal', () => {
    it.each(['*', '123456789012', 'arn:aws:iam::123456789012:user/alice'])(
      'refuses chatbotRoleArn=%s, which would grant more than one role',
      async (arn) => {
        await expect(
          packageService({ stage: 'prod', params: { ...REQUIRED_SETTINGS, chatbotRoleArn: arn } }),
        ).rejects.toThrow(/must be an IAM role ARN/);
      },
      180_000,
    );
  });

  describe('function logs', () => {
    interface LoggingConfig {
      LogFormat: string;
      SystemLogLevel: string;
      ApplicationLogLevel: string;
    }
    const logging = (template: Template, name: FunctionName) =>
      properties<{ LoggingConfig: LoggingConfig }>(template, `${FUNCTIONS[name].id}LambdaFunction`)
        .LoggingConfig;

    it.each(FUNCTION_NAMES)(
      '%s logs JSON; prod leaves out the system lines below WARN (START, END, REPORT)',
      (name) => {
        expect(logging(prod, name)).toEqual({
          LogFormat: 'JSON',
          SystemLogLevel: 'WARN',
          ApplicationLogLevel: stageParams('prod').logLevel,
        });
        expect(logging(dev, name)).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'INFO' });
      },
    );
  });

  describe('functions', () => {
    it.each(FUNCTION_NAMES)(
      'runs %s on nodejs24.x, arm64, with its configuration in the environment',
      (name) => {
        const params = stageParams('prod');
        const fn = properties<FunctionProperties>(prod, `${FUNCTIONS[name].id}LambdaFunction`);

        expect(fn.Runtime).toBe('nodejs24.x');
        expect(fn.Architectures).toEqual(['arm64']);
        expect(fn.Environment.Variables).toMatchObject({
          TABLE_NAME: resource(prod, 'SessionsTable').Properties.TableName,
          INACTIVE_DAYS: String(params.inactiveDays),
          POWERTOOLS_LOG_LEVEL: params.logLevel,
        });
      },
    );
  });
});
