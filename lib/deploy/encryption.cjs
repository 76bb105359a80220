// The stage's customer-managed KMS key (stage parameter `kmsKeyArn`) as each resource type takes it, and
// what a role needs to use it. Without a key every resource keeps its default encryption. Any template
// piece that adds a resource holding user data (a table, a log group, a queue, a topic) takes its
// settings from here.

/** A key ARN, not an alias: CloudWatch Logs accepts only a key ARN. */
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;

/** The stage's key, checked, or undefined when the parameter is empty. */
async function stageKmsKeyArn(resolveVariable) {
  const raw = (await resolveVariable('param:kmsKeyArn')) || '';
  if (!raw) return undefined;
  if (!KEY_ARN.test(raw)) {
    throw new Error(
      `kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/**
 * Each resource type's encryption properties under `kmsKeyArn`, or today's defaults without it: the
 * table under the AWS managed key, log groups under CloudWatch Logs' own encryption, the queue under
 * SQS-managed keys, a topic under the key the caller created for it.
 */
function encryption(kmsKeyArn) {
  return {
    kmsKeyArn,
    table: kmsKeyArn ? { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: kmsKeyArn } : { SSEEnabled: true },
    logGroup: kmsKeyArn ? { KmsKeyId: kmsKeyArn } : {},
    // SQS refuses both settings at once.
    queue: kmsKeyArn ? { KmsMasterKeyId: kmsKeyArn } : { SqsManagedSseEnabled: true },
    topic: (defaultKey) => ({ KmsMasterKeyId: kmsKeyArn ?? defaultKey }),
    /**
     * The statement that lets a role use the key for `actions`, only through `service` in the stack's
     * region (`kms:ViaService`): the role cannot call KMS with it directly. None without a key.
     */
    grant(service, actions) {
      if (!kmsKeyArn) return [];
      return [
        {
          Effect: 'Allow',
          Action: actions,
          Resource: kmsKeyArn,
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Sub': `${service}.\${AWS::Region}.amazonaws.com` } },
          },
        },
      ];
    },
  };
}

/** What reading an encrypted table or queue takes, and what writing adds (the split AWS CDK grants). */
const KEY_USES = {
  read: ['kms:Decrypt', 'kms:DescribeKey'],
  write: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
  // SQS SendMessage to a queue under a customer-managed key.
  send: ['kms:Decrypt', 'kms:GenerateDataKey'],
};

module.exports = { encryption, stageKmsKeyArn, KEY_USES };
