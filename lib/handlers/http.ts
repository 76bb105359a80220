/** Adapts API Gateway HTTP API (payload v2) events to the service and its results back to responses. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ForbiddenError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.ts';
import { LIMITS, parseInput, userIdSchema } from '../session/schema.ts';
import type { Session } from '../session/session.ts';

/** A request from the website, checked for ownership and decoded, with its body not yet validated. */
export interface HttpRequest {
  userId: string;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
  /** From `If-Match`: undefined when absent, `{}` for `*`, else the tag's lifetime and version. */
  ifMatch: Precondition | undefined;
  /** From `Idempotency-Key`: 1 to 255 printable ASCII characters. */
  idempotencyKey: string | undefined;
}

/** What an entity tag names: a session's lifetime and its version. */
export interface Precondition {
  expectedSessionId?: string;
  expectedVersion?: number;
}

/** The entity tag of a session: opaque to callers, and never the same in two lifetimes of a session. */
export function entityTag(session: Pick<Session, 'sessionId' | 'version'>): string {
  return `"${session.sessionId}.${session.version}"`;
}

/** What an operation answers over HTTP; the adapter adds the headers every response carries. */
export interface HttpResult {
  status: number;
  session?: Session;
  headers?: Record<string, string>;
  /** The answer repeats an earlier request with the same idempotency key. */
  replayed?: boolean;
}

type JwtAuthorizer = {
  jwt?: { claims?: Record<string, string | number | boolean | string[]> };
};

export function isHttpEvent(event: unknown): event is APIGatewayProxyEventV2 {
  const candidate = event as Partial<APIGatewayProxyEventV2> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.version === '2.0' &&
    typeof candidate.requestContext?.http === 'object'
  );
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  // HTTP API lower-cases header names; tolerate other casings from hand-made events.
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

function parseBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  // A GET never takes a body: refuse it before its size or type could matter.
  if (event.requestContext.http.method === 'GET') {
    throw new ValidationError('a GET request takes no body', {
      details: [{ path: '', message: 'a GET request takes no body' }],
    });
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > LIMITS.bodyBytes) {
    throw new PayloadTooLargeError(`the body must be at most ${LIMITS.bodyBytes} bytes`);
  }
  const contentType = header(event, 'content-type');
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeError('the body must be JSON, sent as Content-Type: application/json');
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationError('the body is not valid JSON');
  }
}

/** A tag this service sends, `"<sessionId>.<version>"`, or a bare version as tags were once sent. */
const STRONG_ETAG =
  /^"(?:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.)?([1-9]\d{0,19})"$/;
/** No session is "-": a tag without a lifetime can match no session of any lifetime. */
const NO_LIFETIME = '-';

/**
 * `If-Match: *` or one strong tag in the form the service sends; weak tags and lists are refused rather
 * than guessed at. A well-formed tag that can match nothing (a bare version, a version beyond 2^53) is
 * kept, and fails as a precondition (412), never as input.
 */
function parseIfMatch(value: string | undefined): Precondition | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '*') return {};
  const match = STRONG_ETAG.exec(trimmed);
  if (!match?.[2]) {
    throw new ValidationError('If-Match must be * or one entity tag that the service sent', {
      details: [{ path: 'If-Match', message: 'must be * or one entity tag that the service sent' }],
    });
  }
  return { expectedSessionId: match[1] ?? NO_LIFETIME, expectedVersion: Number(match[2]) };
}

function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x20-\x7e]{1,255}$/.test(value)) {
    throw new ValidationError('Idempotency-Key must be 1-255 printable ASCII characters', {
      details: [{ path: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' }],
    });
  }
  return value;
}

function decodeUserId(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new ValidationError('userId is not correctly URL-encoded', {
      details: [{ path: 'userId', message: 'is not correctly URL-encoded' }],
    });
  }
}

/**
 * Checks who is calling before anything else: the JWT claim named `ownerClaim` must equal the decoded
 * `{userId}`, so one user can neither read nor learn about another's session.
 */
export function parseHttpRequest(event: APIGatewayProxyEventV2, ownerClaim: string): HttpRequest {
  const claims = (event.requestContext as { authorizer?: JwtAuthorizer }).authorizer?.jwt?.claims;
  const owner = claims?.[ownerClaim];
  if (typeof owner !== 'string' || owner === '') {
    throw new UnauthorizedError('a valid bearer token is required');
  }
  const userId = decodeUserId(event.pathParameters?.userId);
  if (owner !== userId) throw new ForbiddenError('the token does not grant access to this session');
  return {
    userId: parseInput(userIdSchema, userId, 'userId'),
    ifMatch: parseIfMatch(header(event, 'if-match')),
    idempotencyKey: parseIdempotencyKey(header(event, 'idempotency-key')),
    body: parseBody(event),
  };
}

/** Sessions hold names, phone numbers and emails: no browser or proxy may keep any answer. */
const NO_STORE = { 'Cache-Control': 'no-store' };
const JSON_HEADERS = { 'Content-Type': 'application/json', ...NO_STORE };

export function httpResponse(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  const replayed: Record<string, string> = result.replayed ? { 'Idempotent-Replayed': 'true' } : {};
  if (result.session === undefined) {
    return { statusCode: result.status, headers: { ...NO_STORE, ...result.headers, ...replayed } };
  }
  return {
    statusCode: result.status,
    headers: {
      ...JSON_HEADERS,
      ETag: entityTag(result.session),
      ...result.headers,
      ...replayed,
    },
    body: JSON.stringify(result.session),
  };
}

export function httpErrorResponse(status: number, error: object): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: JSON_HEADERS,
    body: JSON.stringify({ error }),
  };
}
