// The stage's data protection, beside the resources it applies to: the customer-managed key (stage
// parameter `kmsKeyArn`, lib/deploy/encryption.cjs) on the table, every function's log group and the
// dead-letter queue, each role's use of that key, and the point-in-time recovery window
// (`recoveryPeriodInDays`). docs/PRIVACY.md says what each protects and for how long.
const { encryption, stageKmsKeyArn, KEY_USES } = require('./encryption.cjs');
const { FUNCTION_ACCESS } = require('./resources.cjs');

const capitalised = (name) => name.charAt(0).toUpperCase() + name.slice(1);

const WRITES = new Set(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem']);

/** The days PITR keeps, 1 to 35 (CloudFormation's own bounds), or a clear packaging error. */
function recoveryPeriod(raw) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 35) {
    throw new Error(`recoveryPeriodInDays must be a whole number from 1 to 35, got ${JSON.stringify(raw)}`);
  }
  return value;
}

module.exports = async ({ resolveVariable }) => {
  const kmsKeyArn = await stageKmsKeyArn(resolveVariable);
  const keys = encryption(kmsKeyArn);
  const functions = (await resolveVariable('self:functions')) ?? {};
  const resources = {};
  const extensions = {
    SessionsTable: {
      Properties: {
        SSESpecification: keys.table,
        PointInTimeRecoverySpecification: {
          PointInTimeRecoveryEnabled: true,
          RecoveryPeriodInDays: recoveryPeriod(await resolveVariable('param:recoveryPeriodInDays')),
        },
      },
    },
  };
  if (kmsKeyArn) {
    extensions.SweepDeadLetterQueue = { Properties: { ...keys.queue, SqsManagedSseEnabled: false } };
    for (const name of Object.keys(functions)) {
      extensions[`${capitalised(name)}LogGroup`] = { Properties: keys.logGroup };
    }
    // Each function's role uses the key only through DynamoDB, and only to read when it only reads.
    for (const [name, access] of Object.entries(FUNCTION_ACCESS)) {
      const actions = [...(access.table ?? []), ...(access.index ?? [])];
      const uses = actions.some((action) => WRITES.has(action)) ? KEY_USES.write : KEY_USES.read;
      resources[`${capitalised(name)}KeyPolicy`] = keyPolicy(`${name}-key`, `${capitalised(name)}Role`, [
        ...keys.grant('dynamodb', uses),
      ]);
      extensions[`${capitalised(name)}LambdaFunction`] = { DependsOn: [`${capitalised(name)}KeyPolicy`] };
    }
    // The events consumer reads the encrypted table's stream and dead-letters into its encrypted queue.
    extensions.EventsDeadLetterQueue = { Properties: { ...keys.queue, SqsManagedSseEnabled: false } };
    resources.PublishEventsKeyPolicy = keyPolicy('publishEvents-key', 'PublishEventsRole', [
      ...keys.grant('dynamodb', KEY_USES.read),
      ...keys.grant('sqs', KEY_USES.send),
    ]);
    extensions.PublishEventsLambdaFunction = { DependsOn: ['PublishEventsKeyPolicy'] };
    // The HTTP API's access log.
    extensions.HttpApiLogGroup = { Properties: keys.logGroup };
    // The scheduler dead-letters undelivered sweep invocations into the encrypted queue.
    resources.SweepSchedulerKeyPolicy = keyPolicy('sweep-schedule-key', 'SweepSchedulerRole', [
      ...keys.grant('sqs', KEY_USES.send),
    ]);
  }
  return { Resources: resources, extensions };
};

/** A policy of its own on one role, so the roles in lib/deploy/resources.cjs stay as they are. */
function keyPolicy(policyName, roleId, statements) {
  return {
    Type: 'AWS::IAM::Policy',
    Properties: {
      PolicyName: policyName,
      Roles: [{ Ref: roleId }],
      PolicyDocument: { Version: '2012-10-17', Statement: statements },
    },
  };
}
