import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Time budget of one DynamoDB request. With the retries below, the worst case (about 3 x 3 s plus
 * backoff) stays well inside the functions' 10 s timeout and API Gateway's 30 s limit.
 */
export const DYNAMODB_TIMEOUTS = {
  connectionTimeout: 1_000,
  requestTimeout: 3_000,
} as const;
export const DYNAMODB_MAX_ATTEMPTS = 3;

export interface DynamoClientOptions {
  /** A local DynamoDB (the embedded one, or another); unset on AWS. */
  endpoint?: string | undefined;
  region?: string;
}

/**
 * Builds the DynamoDB DocumentClient with explicit timeouts and a bounded retry count. Locally, where no
 * AWS credentials are needed, it uses placeholder ones so nothing goes looking for a profile.
 */
export function createDocumentClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    // Without throwOnRequestTimeout the handler only logs a warning and keeps waiting.
    requestHandler: { ...DYNAMODB_TIMEOUTS, throwOnRequestTimeout: true },
    ...(local && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
