/**
 * Fault injection on the wire: an SDK middleware next to the HTTP request handler of a DynamoDB client
 * (tests/support/sdk-middleware.ts), the one place every attempt goes through. The SDK's retry middleware
 * sits above it and its deserializer turns what the middleware answers into real SDK exceptions, so a fault injected here exercises the whole client path:
 * classification, backoff, retries and the retry quota, exactly as a fault from DynamoDB would.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { aroundAttempts, type WireResponse } from './sdk-middleware.ts';

/** One attempt seen on the wire: the DynamoDB operation and its number among attempts of that operation. */
export interface Attempt {
  operation: string;
  count: number;
  forward: () => Promise<WireResponse>;
}

/** Decides what one attempt gets: `attempt.forward()` to let it through, or a fault. */
export type FaultPlan = (attempt: Attempt) => Promise<WireResponse>;

export interface Wire {
  /** Every attempt so far, by operation name (UpdateItem, GetItem…). */
  readonly attempts: string[];
  /** Attempts of one operation. */
  count(operation: string): number;
  /** Requests sent but not answered yet. */
  readonly inFlight: number;
  /** Resolves once nothing has been in flight for `quietMs`. */
  settled(quietMs?: number): Promise<void>;
  restore(): void;
}

/** Puts `plan` between `doc` and the network until `restore()`. */
export function interceptWire(
  doc: DynamoDBDocumentClient,
  plan: FaultPlan = (attempt) => attempt.forward(),
): Wire {
  const attempts: string[] = [];
  let inFlight = 0;
  let lastActivity = Date.now();
  const installed = aroundAttempts(doc, async ({ operation, forward }) => {
    attempts.push(operation);
    const count = attempts.filter((name) => name === operation).length;
    inFlight++;
    lastActivity = Date.now();
    try {
      return await plan({ operation, count, forward });
    } finally {
      inFlight--;
      lastActivity = Date.now();
    }
  });
  return {
    attempts,
    count: (operation) => attempts.filter((name) => name === operation).length,
    get inFlight() {
      return inFlight;
    },
    async settled(quietMs = 1_500) {
      while (inFlight > 0 || Date.now() - lastActivity < quietMs) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    restore() {
      installed.remove();
    },
  };
}

/** What DynamoDB sends for an error: its HTTP status and a JSON body naming the exception. */
export function dynamoError(statusCode: number, type: string, message: string): WireResponse {
  return {
    response: {
      statusCode,
      reason: statusCode >= 500 ? 'Server Error' : 'Bad Request',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `fault-${type}`,
      },
      body: new TextEncoder().encode(
        JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
      ),
    },
  };
}

export const THROTTLED = () =>
  dynamoError(
    400,
    'ProvisionedThroughputExceededException',
    'The level of configured provisioned throughput for the table was exceeded.',
  );

/** What the socket layer throws when the connection drops before an answer arrives. */
export function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}
