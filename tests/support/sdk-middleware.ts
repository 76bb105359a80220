/**
 * The one way tests watch and fault the AWS SDK: named middleware on a client's stack, removed by name.
 * Two places, chosen by what a test needs to see:
 *
 * - `aroundCommands`, in the initialize step: once per `send`, above the SDK's retries, with the command's
 *   input as the caller wrote it. Throwing there fails the command without sending it, and no retry runs.
 * - `aroundAttempts`, innermost in the deserialize step: once per HTTP attempt, below the retries and below
 *   the deserializer. An answer made here (`dynamoError`, in tests/support/wire.ts) is parsed into a real
 *   SDK exception, so classification, backoff and the retry quota run as they would against DynamoDB.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Watched = Pick<DynamoDBDocumentClient | DynamoDBClient, 'middlewareStack'>;

/** The HTTP request of one attempt, as the SDK's request handler receives it. */
export interface WireRequest {
  headers: Record<string, string>;
  body?: unknown;
}

/** What the request handler answers: a raw HTTP response, for the deserializer to parse. */
export type WireResponse = { response: unknown };

/** One command sent through the client. */
export interface CommandCall {
  /** The DynamoDB operation: GetItem, UpdateItem, Query… */
  operation: string;
  /** The command's input (for a DocumentClient, before marshalling). */
  input: Record<string, unknown>;
  /** Lets the command go on; resolves to its output. */
  send(): Promise<unknown>;
}

/** One HTTP attempt of a command. */
export interface AttemptCall {
  operation: string;
  request: WireRequest;
  /** Sends the attempt to DynamoDB and resolves to its raw answer. */
  forward(): Promise<WireResponse>;
}

export interface Installed {
  /** Takes the middleware off the client. */
  remove(): void;
}

let installed = 0;

function operationOf(context: { commandName?: string }): string {
  return String(context.commandName).replace(/Command$/, '');
}

/** Runs `around` for every command `client` sends, until `remove()`. */
export function aroundCommands(client: Watched, around: (call: CommandCall) => Promise<unknown>): Installed {
  const name = `testAroundCommands${++installed}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      let result: Awaited<ReturnType<typeof next>> | undefined;
      await around({
        operation: operationOf(context),
        input: args.input as Record<string, unknown>,
        send: async () => {
          result = await next(args);
          return result.output;
        },
      });
      if (result === undefined) throw new Error(`${name}: the command was neither sent nor failed`);
      return result;
    },
    { step: 'initialize', priority: 'high', name },
  );
  return { remove: () => void client.middlewareStack.remove(name) };
}

/** Runs `around` for every HTTP attempt of `client`, retries included, until `remove()`. */
export function aroundAttempts(
  client: Watched,
  around: (attempt: AttemptCall) => Promise<WireResponse>,
): Installed {
  const name = `testAroundAttempts${++installed}`;
  client.middlewareStack.add(
    (next, context) => async (args) =>
      (await around({
        operation: operationOf(context),
        request: args.request as WireRequest,
        forward: () => next(args) as Promise<WireResponse>,
      })) as Awaited<ReturnType<typeof next>>,
    // Low priority puts it after the deserializer, next to the request handler.
    { step: 'deserialize', priority: 'low', name },
  );
  return { remove: () => void client.middlewareStack.remove(name) };
}
