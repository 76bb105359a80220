/**
 * The client for the website: the same methods and meanings as SessionClient, over the HTTP API with
 * `fetch`, in the browser and in Node. Needs nothing at run time but lib/errors.ts and this folder.
 */
import { UnavailableError, ValidationError } from '../errors.ts';
import { BaseSessionClient, type ClientOptions } from './base-client.ts';
import { heldEntityTag, holdEntityTag } from './held.ts';
import type { Answer, Call, KeyOption, Operation, Transport } from './requests.ts';
import { backoff, type RetryOptions, retryOf, type Timing, timingOf } from './retry.ts';
import type { Session } from './types.ts';

/** What the client needs of `fetch`: the standard function satisfies it, and so does a test's fake. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface SessionHttpClientOptions extends ClientOptions {
  /** The API's base URL, such as `https://abcdef1234.execute-api.eu-west-1.amazonaws.com`. */
  baseUrl: string;
  /** The user's current access token, asked for before every request (the auth library may refresh it). */
  getToken: () => string | Promise<string>;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /**
   * Resending a request that got no answer, a 429 or a 5xx from the gateway, or 503 UNAVAILABLE:
   * 3 attempts, windows from 100 to 2000 ms. Only reads and keyed writes are resent.
   */
  resend?: RetryOptions;
}

/**
 * Over HTTP a condition is an entity tag, which names a version of one lifetime of the session: a write
 * on a user id is conditioned on both fields, or on neither.
 */
export type HttpCallOptions = KeyOption &
  (
    | { expectedVersion?: undefined; expectedSessionId?: undefined }
    | { expectedVersion: number; expectedSessionId: string }
  );

const RESEND: Required<RetryOptions> = { attempts: 3, baseDelayMs: 100, maxDelayMs: 2000 };

/** The route of each operation, under `/sessions/{userId}`. */
const ROUTES: Record<Operation, { method: string; path: string }> = {
  createOrGet: { method: 'PUT', path: '' },
  getSession: { method: 'GET', path: '' },
  update: { method: 'PATCH', path: '' },
  clear: { method: 'POST', path: '/clear' },
  delete: { method: 'DELETE', path: '' },
  erase: { method: 'POST', path: '/erase' },
};

/**
 * Answers that mean the request may not have been served: API Gateway's throttle (429), its own
 * failures to reach or hear from the function (502, 504), and UNAVAILABLE (503).
 */
const RESENT_STATUSES = new Set([429, 502, 503, 504]);

/** What a status means when the body is not the service's error envelope (API Gateway answered). */
const GATEWAY_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'UNAVAILABLE',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'UNAVAILABLE',
};

/**
 * Every write is keyed: with the caller's key, or one the client makes for the action. So a write whose
 * answer was lost can be resent and applies once, and `mutate` sends the same key on every attempt.
 */
export class SessionHttpClient extends BaseSessionClient<HttpCallOptions> {
  constructor(options: SessionHttpClientOptions) {
    super(new HttpTransport(options), 'every write', options);
  }
}

/** Whether a request may be sent again without a risk of applying it twice: a read, or a keyed write. */
export function mayResend(call: Pick<Call, 'operation' | 'idempotencyKey'>): boolean {
  return call.operation === 'getSession' || call.idempotencyKey !== undefined;
}

/**
 * The If-Match of a write: the tag the API sent with the session held, else the tag of the condition's
 * lifetime and version (the package is released with the service, so it knows the tag's form).
 */
export function ifMatchOf(call: Pick<Call, 'condition' | 'held'>): string | undefined {
  const held = call.held && heldEntityTag(call.held);
  if (held) return held;
  const { expectedVersion, expectedSessionId } = call.condition;
  if (expectedVersion === undefined && expectedSessionId === undefined) return undefined;
  if (expectedVersion === undefined || expectedSessionId === undefined) {
    throw new ValidationError('over HTTP a condition names both expectedVersion and expectedSessionId', {
      details: [
        {
          path: expectedVersion === undefined ? 'expectedVersion' : 'expectedSessionId',
          message: 'is required with the other condition field',
        },
      ],
    });
  }
  return `"${expectedSessionId}.${expectedVersion}"`;
}

class HttpTransport implements Transport {
  readonly #baseUrl: string;
  readonly #getToken: () => string | Promise<string>;
  readonly #fetch: FetchLike;
  readonly #resend: Required<RetryOptions>;
  readonly #timing: Required<Timing>;

  constructor(options: SessionHttpClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#getToken = options.getToken;
    // Called through a closure: a browser's fetch throws when called as a method of another object.
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#resend = retryOf(options.resend, RESEND);
    this.#timing = timingOf(options);
  }

  async send(call: Call): Promise<Answer> {
    const { method, path } = ROUTES[call.operation];
    const url = `${this.#baseUrl}/sessions/${encodeURIComponent(call.userId)}${path}`;
    const headers: Record<string, string> = {};
    const ifMatch = ifMatchOf(call);
    if (ifMatch !== undefined) headers['If-Match'] = ifMatch;
    if (call.idempotencyKey !== undefined) headers['Idempotency-Key'] = call.idempotencyKey;
    const hasBody = Object.keys(call.fields).length > 0;
    if (hasBody) headers['Content-Type'] = 'application/json';
    const body = hasBody ? JSON.stringify(call.fields) : undefined;
    const resendable = mayResend(call);
    for (let attempt = 1; ; attempt++) {
      const last = !resendable || attempt >= this.#resend.attempts;
      headers.Authorization = `Bearer ${await this.#getToken()}`;
      let response: Awaited<ReturnType<FetchLike>>;
      try {
        response = await this.#fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
      } catch (error) {
        if (last) {
          throw new UnavailableError(`the session service could not be reached: ${String(error)}`, {
            cause: error,
          });
        }
        await backoff(attempt, this.#resend, this.#timing);
        continue;
      }
      if (!last && RESENT_STATUSES.has(response.status)) {
        await backoff(attempt, this.#resend, this.#timing);
        continue;
      }
      return answerOf(call.operation, response.status, response.headers, await response.text());
    }
  }
}

function answerOf(
  operation: Operation,
  status: number,
  headers: { get(name: string): string | null },
  text: string,
): Answer {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const replayed = headers.get('Idempotent-Replayed') === 'true';
  if (status >= 200 && status < 300) {
    if (operation === 'delete') return { ok: true, deleted: true, replayed };
    if (operation === 'erase') return { ok: true, replayed };
    if (!isObject(body)) {
      return {
        ok: false,
        error: { code: 'INTERNAL', message: `the API answered ${status} without a session` },
      };
    }
    const session = body as unknown as Session;
    const tag = headers.get('ETag');
    if (tag) holdEntityTag(session, tag);
    return { ok: true, session, created: status === 201, replayed };
  }
  if (isObject(body) && isObject(body.error)) return { ok: false, error: body.error };
  const message = isObject(body) && typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  return { ok: false, error: { code: GATEWAY_CODES[status] ?? 'INTERNAL', message } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
