import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_DYNAMODB_MAX_ATTEMPTS, DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS } from '../config.ts';

/**
 * Time budget of one DynamoDB request attempt on a local DynamoDB (the embedded one answers a burst of
 * parallel requests one by one, so a busy laptop can take a second or more).
 */
export const DYNAMODB_TIMEOUTS = {
  connectionTimeout: 1_000,
  requestTimeout: 3_000,
} as const;
/**
 * On AWS, DynamoDB answers in milliseconds: an attempt that takes a second is retried rather than
 * waited for, so a throttled table does not hold Lambda environments for seconds. One request's worst
 * case without a retry-after hint: 3 attempts of (1 s connection + 1 s request timeout) plus the SDK's
 * backoff between them (under 1 s, then under 2 s, when throttled), about 9 s. With retry-after hints
 * each retry may wait up to 5 s more: `worstCaseRequestMs({ connectionTimeout: 1_000, requestTimeout:
 * 1_000 })`, 19 s. Either way a caller of a session function waits at most its 10 s timeout: the handler
 * answers 503 UNAVAILABLE 500 ms before it (TIMEOUT_EARLY_MS in lib/handlers/session-handler.ts), far inside API
 * Gateway's 30 s.
 */
const AWS_DYNAMODB_REQUEST_TIMEOUT_MS = DEFAULT_DYNAMODB_REQUEST_TIMEOUT_MS;
export const DYNAMODB_MAX_ATTEMPTS = DEFAULT_DYNAMODB_MAX_ATTEMPTS;

/**
 * The SDK's backoff before retry `i` (0 for the first) in its standard retry mode (@smithy/core retry):
 * a random share of min(base x 2^i, 20 s), with a 1 s base after a throttle (25 ms otherwise), plus up to
 * 5 s more when DynamoDB's answer carries a retry-after hint.
 */
const SDK_BACKOFF = { throttlingBaseMs: 1_000, capMs: 20_000, retryAfterExtraMs: 5_000 } as const;

/**
 * The longest one request can take before the SDK gives up on it, retries included, when DynamoDB
 * never answers: every attempt spends its connection and request timeouts, and every retry waits its
 * longest backoff, a retry-after hint's extra 5 s included. A pure function of the client's settings,
 * so it follows them (19 s for 1 s timeouts and 3 attempts; 25 s for the local timeouts).
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
  /** Defaults to us-east-1, which a local DynamoDB ignores; on AWS the runtime passes the configured one. */
  region?: string;
  /** Sign with placeholder credentials; defaults to true for a local endpoint. */
  placeholderCredentials?: boolean;
  /** Time budget of one attempt (config `dynamodb.requestTimeoutMs`); by default 1 s on AWS, 3 s locally. */
  requestTimeoutMs?: number;
  /** Attempts per request, the first included (config `dynamodb.maxAttempts`). */
  maxAttempts?: number;
}

/**
 * The timeouts and attempts of a client built with `options`: 1 s per attempt on AWS, 3 s on a local
 * DynamoDB, unless set. The sweep derives its safety margin from the same figures.
 */
export function clientSettings(
  options: Pick<DynamoClientOptions, 'endpoint' | 'requestTimeoutMs' | 'maxAttempts'>,
): { timeouts: { connectionTimeout: number; requestTimeout: number }; maxAttempts: number } {
  const requestTimeout =
    options.requestTimeoutMs ??
    (options.endpoint !== undefined ? DYNAMODB_TIMEOUTS.requestTimeout : AWS_DYNAMODB_REQUEST_TIMEOUT_MS);
  return {
    timeouts: {
      connectionTimeout: Math.min(DYNAMODB_TIMEOUTS.connectionTimeout, requestTimeout),
      requestTimeout,
    },
    maxAttempts: options.maxAttempts ?? DYNAMODB_MAX_ATTEMPTS,
  };
}

/**
 * Builds the DynamoDB DocumentClient with explicit timeouts and a bounded retry count. Locally, where no
 * AWS credentials are needed, it uses placeholder ones so nothing goes looking for a profile. It reads no
 * environment: the caller passes what lib/config.ts read.
 */
export function createDocumentClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  const placeholder = options.placeholderCredentials ?? options.endpoint !== undefined;
  const { timeouts, maxAttempts } = clientSettings(options);
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? 'us-east-1',
    maxAttempts,
    // Without throwOnRequestTimeout the handler only logs a warning and keeps waiting.
    requestHandler: { ...timeouts, throwOnRequestTimeout: true },
    ...(placeholder ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
