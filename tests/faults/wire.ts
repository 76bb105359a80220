/**
 * Fault injection on the wire: wraps the HTTP request handler of a DynamoDB client, the one place every
 * attempt goes through. The SDK's retry middleware sits above it and its deserializer turns what the
 * wrapper answers into real SDK exceptions, so a fault injected here exercises the whole client path:
 * classification, backoff, retries and the retry quota, exactly as a fault from DynamoDB would.
 */
import { createServer, type Socket } from 'node:net';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

interface WireRequest {
  headers: Record<string, string>;
  body?: unknown;
}
type WireResponse = { response: unknown };
type Handle = (request: WireRequest, options?: unknown) => Promise<WireResponse>;

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
  const handler = doc.config.requestHandler as unknown as { handle: Handle };
  const original = handler.handle;
  const attempts: string[] = [];
  let inFlight = 0;
  let lastActivity = Date.now();
  handler.handle = async (request, options) => {
    const operation = String(request.headers['x-amz-target'] ?? '').replace(/^.*\./, '');
    attempts.push(operation);
    const count = attempts.filter((name) => name === operation).length;
    inFlight++;
    lastActivity = Date.now();
    try {
      return await plan({ operation, count, forward: () => original.call(handler, request, options) });
    } finally {
      inFlight--;
      lastActivity = Date.now();
    }
  };
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
      handler.handle = original;
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

/**
 * A TCP server that accepts connections and never answers: a DynamoDB behind a network that black-holes
 * responses. `close()` drops every connection it holds.
 */
export async function startBlackHole(
  port = 0,
): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return {
    port: address.port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
