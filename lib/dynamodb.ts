import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Time budget of one DynamoDB request. With the retries below, the worst case (`worstCaseRequestMs`)
 * bounds how long a function can wait on an unanswering DynamoDB.
 */
export const DYNAMODB_TIMEOUTS = {
  connectionTimeout: 1_000,
  requestTimeout: 3_000,
} as const;
export const DYNAMODB_MAX_ATTEMPTS = 3;

/**
 * The SDK's backoff before retry `i` (0 for the first) in its standard retry mode (@smithy/core retry):
 * a random share of min(base x 2^i, 20 s), with a 1 s base after a throttle (25 ms otherwise), plus up to
 * 5 s more when DynamoDB's answer carries a retry-after hint.
 */
const SDK_BACKOFF = { throttlingBaseMs: 1_000, capMs: 20_000, retryAfterExtraMs: 5_000 } as const;

/**
 * The longest one request can take before the SDK gives up on it, retries included, when DynamoDB
 * never answers: every attempt spends its connection and request timeouts, and every retry waits its
 * longest backoff. A pure function of the client's settings, so it follows them.
 */
export function worstCaseRequestMs(
  timeouts: { connectionTimeout: number; requestTimeout: number } = DYNAMODB_TIMEOUTS,
  attempts: number = DYNAMODB_MAX_ATTEMPTS,
): number {
  let total = attempts * (timeouts.connectionTimeout + timeouts.requestTimeout);
  for (let retry = 0; retry < attempts - 1; retry++) {
    total += Math.min(SDK_BACKOFF.throttlingBaseMs * 2 ** retry, SDK_BACKOFF.capMs);
    total += SDK_BACKOFF.retryAfterExtraMs;
  }
  return total;
}

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
