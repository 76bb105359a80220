// Generates the per-function IAM roles and the chatbot's invoke permissions for serverless.yml, so that
// each function's DynamoDB access is written once, here, and every role is least-privilege.

/** The DynamoDB actions each function uses, on the table and on its `byUpdatedAt` index. */
const FUNCTION_ACCESS = {
  createOrGet: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  getSession: { table: ['dynamodb:GetItem'] },
  update: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  clear: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  delete: { table: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'] },
  sweep: { table: ['dynamodb:DeleteItem'], index: ['dynamodb:Query'] },
};

/** Functions the chatbot Lambda may invoke directly. */
const CHATBOT_FUNCTIONS = ['createOrGet', 'getSession', 'update', 'clear', 'delete'];

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
  return serviceRole('lambda.amazonaws.com', `${functionName}-access`, statements);
}

/** The role EventBridge Scheduler assumes: invoke the sweep, and dead-letter what it cannot deliver. */
function schedulerRole() {
  return serviceRole('scheduler.amazonaws.com', 'sweep-schedule', [
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

/** An IAM role that only `service` can assume, with one inline policy. */
function serviceRole(service, policyName, statements) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        { PolicyName: policyName, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      ],
    },
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
  return {
    Resources: resources,
    extensions: {
      // osls would let the scheduler assume the sweep's own role; give it a role of its own instead,
      // with a retry policy and a dead-letter queue for invocations that still fail.
      SweepSchedulerSchedule1: {
        Properties: {
          Target: {
            Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] },
            RoleArn: { 'Fn::GetAtt': ['SweepSchedulerRole', 'Arn'] },
            Input: '{}',
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SweepDeadLetterQueue', 'Arn'] } },
          },
        },
      },
      HttpApiStage: {
        Properties: {
          DefaultRouteSettings: {
            DetailedMetricsEnabled: false,
            ThrottlingRateLimit: Number(await resolveVariable('param:throttleRateLimit')),
            ThrottlingBurstLimit: Number(await resolveVariable('param:throttleBurstLimit')),
          },
        },
      },
    },
  };
};
