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
  /** Defaults to us-east-1, which a local DynamoDB ignores; on AWS the runtime passes the configured one. */
  region?: string;
  /** Sign with placeholder credentials; defaults to true for a local endpoint. */
  placeholderCredentials?: boolean;
}

/**
 * Builds the DynamoDB DocumentClient with explicit timeouts and a bounded retry count. Locally, where no
 * AWS credentials are needed, it uses placeholder ones so nothing goes looking for a profile. It reads no
 * environment: the caller passes what lib/config.ts read.
 */
export function createDocumentClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  const placeholder = options.placeholderCredentials ?? options.endpoint !== undefined;
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? 'us-east-1',
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    // Without throwOnRequestTimeout the handler only logs a warning and keeps waiting.
    requestHandler: { ...DYNAMODB_TIMEOUTS, throwOnRequestTimeout: true },
    ...(placeholder ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
