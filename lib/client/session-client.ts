/**
 * The client for the chatbot Lambda: invokes the session functions directly with the AWS SDK and turns
 * their `{ok, ...}` envelopes back into results and typed errors.
 *
 * At run time it needs only @aws-sdk/client-lambda, lib/errors.ts and this folder.
 */
import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { errorFromBody, InternalError, UnavailableError } from '../errors.ts';
import { BaseSessionClient, type ClientOptions } from './base-client.ts';
import type { Answer, Call, CallOptions, Operation, Transport } from './requests.ts';
import { definedOnly } from './retry.ts';
import type { UserExport } from './types.ts';

/** The deployed function names; each is also the name of the client method that invokes it. */
export type SessionFunction = Operation | 'exportUser';

export interface SessionClientOptions extends ClientOptions {
  /** The Lambda client to invoke with; a default one for the environment's region if omitted. */
  lambda?: LambdaClient;
  /** The deployed stage; function names are `<service>-<stage>-<function>`. */
  stage?: string;
  service?: string;
  /** Explicit function names (or ARNs), overriding the derived ones. */
  functionNames?: Partial<Record<SessionFunction, string>>;
}

const FUNCTIONS: SessionFunction[] = [
  'createOrGet',
  'getSession',
  'update',
  'clear',
  'delete',
  'erase',
  'exportUser',
];

/**
 * Writes are keyed only when the caller gives a key (the inbound message's id): an unkeyed write still
 * applies once per call, as every invocation carries a `callId` of its own.
 */
export class SessionClient extends BaseSessionClient<CallOptions> {
  readonly #transport: LambdaTransport;

  constructor(options: SessionClientOptions = {}) {
    const transport = new LambdaTransport(options);
    super(transport, 'caller', options);
    this.#transport = transport;
  }

  /**
   * Everything the service holds about the user, as one JSON document (a person's request to see their
   * data): the session's fields and timestamps, any tombstone and when it goes, and how many write ids
   * are remembered, never the ids. Over invoke only: the website has no route for it.
   */
  async exportUser(userId: string): Promise<UserExport> {
    const answer = await this.#transport.invoke('exportUser', { userId });
    if (!answer.ok) throw errorFromBody(answer.error);
    return answer.export as UserExport;
  }
}

type Envelope = Record<string, unknown> & { ok?: unknown; error?: unknown };

class LambdaTransport implements Transport {
  readonly #lambda: LambdaClient;
  readonly #names: Record<SessionFunction, string>;

  constructor(options: SessionClientOptions) {
    this.#lambda = options.lambda ?? new LambdaClient({});
    const prefix = `${options.service ?? 'session-service'}-${options.stage ?? 'dev'}`;
    this.#names = Object.fromEntries(
      FUNCTIONS.map((name) => [name, options.functionNames?.[name] ?? `${prefix}-${name}`]),
    ) as Record<SessionFunction, string>;
  }

  /**
   * Invokes the function and returns its envelope. A write carries a new `callId`: the Lambda SDK
   * resends the same payload when an answer is lost after the function ran (a dropped connection), and
   * the service applies a write with a callId it has recorded only once. The client's own fields come
   * after the request's, so that they win.
   */
  async send(call: Call): Promise<Answer> {
    return this.invoke(call.operation, {
      ...call.fields,
      userId: call.userId,
      ...definedOnly(call.condition),
      ...(call.idempotencyKey === undefined ? {} : { idempotencyKey: call.idempotencyKey }),
      ...(call.operation === 'getSession' ? {} : { callId: crypto.randomUUID() }),
    });
  }

  /** Invokes one function with `payload` and returns its envelope. */
  async invoke(name: SessionFunction, payload: Record<string, unknown>): Promise<Answer> {
    const functionName = this.#names[name];
    let response: InvokeCommandOutput;
    try {
      response = await this.#lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
    } catch (error) {
      // Lambda refused to start the function (the SDK already retried): nothing ran, so it is safe to retry.
      if (error instanceof TooManyRequestsException) {
        throw new UnavailableError(`${functionName} is throttled; retry later`, { cause: error });
      }
      throw error;
    }
    // The functions answer every failure with an envelope; a FunctionError is a crash or a timeout.
    if (response.FunctionError) {
      throw new InternalError(`${functionName} failed (${response.FunctionError})`);
    }
    const body = parseEnvelope(response.Payload);
    if (!body) throw new InternalError(`${functionName} answered something other than an envelope`);
    if (body.ok === true) return { ...body, ok: true };
    return { ok: false, error: typeof body.error === 'object' && body.error !== null ? body.error : {} };
  }
}

function parseEnvelope(payload: Uint8Array | undefined): Envelope | undefined {
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array()));
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Envelope) : undefined;
  } catch {
    return undefined;
  }
}
