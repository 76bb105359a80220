/**
 * The stage's data protection in the packaged template: with `kmsKeyArn`, the table, every log group,
 * the dead-letter queue and the alarm topic are encrypted with that key, and each role may use it only
 * through the service it needs, only as far as it needs; without it, today's defaults stay. The
 * point-in-time recovery window is the stage's `recoveryPeriodInDays`, and every function gets its log
 * key from the stage's secret.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { packageService, REQUIRED_SETTINGS, type Template } from '../../support/package-service.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
// CloudFormation's own ${...} syntax, not JavaScript templates.
// biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholder
const DYNAMODB_ENDPOINT_SUB = 'dynamodb.${AWS::Region}.amazonaws.com';
// biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholder
const SQS_ENDPOINT_SUB = 'sqs.${AWS::Region}.amazonaws.com';
const READ = ['kms:Decrypt', 'kms:DescribeKey'];
const WRITE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
/** Each function's use of the key, from its DynamoDB access: only readers read. */
const KEY_USE: Record<string, string[]> = {
  CreateOrGet: WRITE,
  GetSession: READ,
  Update: WRITE,
  Clear: WRITE,
  Delete: WRITE,
  Erase: WRITE,
  ExportUser: READ,
  Sweep: WRITE,
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The required settings, with both tiers' topics created by the stack. */
const { ticketTopicArn: _, ...PAGE_AND_PEOPLE } = REQUIRED_SETTINGS;
const CREATED_TOPICS = { ...PAGE_AND_PEOPLE, ticketEmail: 'team@example.com' };

let keyed: Template;
let plain: Template;

beforeAll(async () => {
  [keyed, plain] = await Promise.all([
    packageService({
      stage: 'prod',
      params: { ...CREATED_TOPICS, kmsKeyArn: KEY_ARN, recoveryPeriodInDays: 3 },
    }),
    packageService({ stage: 'prod', params: CREATED_TOPICS }),
  ]);
});

const ofType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const props = (template: Template, id: string) =>
  template.Resources[id]?.Properties as Record<string, unknown> & { [key: string]: unknown };

/** Every statement of the policies attached to `roleId`, inline or separate, that names a KMS action. */
function keyStatements(template: Template, roleId: string): Statement[] {
  const inline = (
    (props(template, roleId).Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = ofType(template, 'AWS::IAM::Policy')
    .map(
      ([, policy]) =>
        policy.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } },
    )
    .filter((policy) => policy.Roles.some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.PolicyDocument.Statement);
  return [...inline, ...attached].filter((statement) =>
    [statement.Action].flat().some((action) => action.startsWith('kms:')),
  );
}

describe('with kmsKeyArn', () => {
  it('encrypts the table with the key', () => {
    expect(props(keyed, 'SessionsTable').SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: KEY_ARN,
    });
  });

  it('encrypts every log group with the key: one per function, and the access log', () => {
    const groups = ofType(keyed, 'AWS::Logs::LogGroup');
    expect(groups.map(([id]) => id).sort()).toEqual(
      [...Object.keys(KEY_USE), 'PublishEvents', 'HttpApi'].map((name) => `${name}LogGroup`).sort(),
    );
    for (const [id, group] of groups) expect(group.Properties, id).toMatchObject({ KmsKeyId: KEY_ARN });
  });

  it('encrypts the dead-letter queue and the alarm topic with the key, and creates no key of its own', () => {
    const queues = ofType(keyed, 'AWS::SQS::Queue');
    const topics = ofType(keyed, 'AWS::SNS::Topic');
    expect(queues.length).toBeGreaterThan(0);
    expect(topics.length).toBeGreaterThan(0);
    for (const [, queue] of queues) {
      expect(queue.Properties).toMatchObject({ KmsMasterKeyId: KEY_ARN, SqsManagedSseEnabled: false });
    }
    for (const [, topic] of topics) expect(topic.Properties).toMatchObject({ KmsMasterKeyId: KEY_ARN });
    expect(ofType(keyed, 'AWS::KMS::Key')).toEqual([]);
  });

  it.each(Object.entries(KEY_USE))(
    'lets %s use the key only through DynamoDB, only as its access needs',
    (name, uses) => {
      expect(keyStatements(keyed, `${name}Role`)).toEqual([
        {
          Effect: 'Allow',
          Action: uses,
          Resource: KEY_ARN,
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Sub': DYNAMODB_ENDPOINT_SUB } },
          },
        },
      ]);
      // The function waits for its key policy, so it never runs without it.
      expect(keyed.Resources[`${name}LambdaFunction`]?.DependsOn).toContain(`${name}KeyPolicy`);
    },
  );

  it('lets the events consumer read the stream through DynamoDB and dead-letter through SQS, nothing else', () => {
    expect(keyStatements(keyed, 'PublishEventsRole')).toEqual([
      {
        Effect: 'Allow',
        Action: READ,
        Resource: KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': DYNAMODB_ENDPOINT_SUB } } },
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': SQS_ENDPOINT_SUB } } },
      },
    ]);
    expect(keyed.Resources.PublishEventsLambdaFunction?.DependsOn).toContain('PublishEventsKeyPolicy');
  });

  it("lets the sweep's scheduler use the key only to dead-letter through SQS", () => {
    expect(keyStatements(keyed, 'SweepSchedulerRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': SQS_ENDPOINT_SUB } } },
      },
    ]);
  });

  it("keeps point-in-time recovery on, for the stage's recoveryPeriodInDays", () => {
    expect(props(keyed, 'SessionsTable').PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
      RecoveryPeriodInDays: 3,
    });
  });
});

describe('without kmsKeyArn', () => {
  it('keeps the default encryption everywhere, and grants no role any key', () => {
    expect(props(plain, 'SessionsTable').SSESpecification).toEqual({ SSEEnabled: true });
    for (const [id, group] of ofType(plain, 'AWS::Logs::LogGroup'))
      expect(group.Properties, id).not.toHaveProperty('KmsKeyId');
    for (const [, queue] of ofType(plain, 'AWS::SQS::Queue')) {
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true });
      expect(queue.Properties).not.toHaveProperty('KmsMasterKeyId');
    }
    for (const [, topic] of ofType(plain, 'AWS::SNS::Topic')) {
      expect(topic.Properties).toMatchObject({ KmsMasterKeyId: { Ref: 'AlarmTopicKey' } });
    }
    const roles = [...Object.keys(KEY_USE), 'PublishEvents', 'SweepScheduler'].map((name) => `${name}Role`);
    for (const role of roles) {
      expect(keyStatements(plain, role), role).toEqual([]);
    }
  });

  it('keeps point-in-time recovery for 7 days by default', () => {
    expect(props(plain, 'SessionsTable').PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
      RecoveryPeriodInDays: 7,
    });
  });

  it("gives every function the stage's log key, resolved by CloudFormation from Secrets Manager", () => {
    for (const [id, fn] of ofType(plain, 'AWS::Lambda::Function')) {
      const variables = (fn.Properties as { Environment: { Variables: Record<string, string> } }).Environment
        .Variables;
      expect(variables.LOG_ID_KEY, id).toBe('{{resolve:secretsmanager:session-service/prod/log-id-key}}');
    }
  });
});

describe('stage parameters', () => {
  it.each([
    [{ recoveryPeriodInDays: 36 }, 'recoveryPeriodInDays must be a whole number from 1 to 35'],
    [{ kmsKeyArn: 'alias/sessions' }, 'kmsKeyArn must be a KMS key ARN'],
  ])('refuses %j at packaging', async (params, message) => {
    await expect(
      packageService({ stage: 'prod', params: { ...REQUIRED_SETTINGS, ...params } }),
    ).rejects.toThrow(message);
  });
});
