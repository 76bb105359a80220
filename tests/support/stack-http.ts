import { inject } from 'vitest';
import { localToken } from '../../lib/local/token.ts';
import { assertMatchesOpenApi } from './openapi.ts';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export interface ApiRequest {
  /** The bearer token; a valid one for `userId` by default, or none with `null`. */
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  path?: string;
  /** The documented route the answer is checked against; the method's route by default. */
  route?: string;
}

const ROUTES: Record<string, string> = {
  PUT: '/sessions/{userId}',
  GET: '/sessions/{userId}',
  PATCH: '/sessions/{userId}',
  DELETE: '/sessions/{userId}',
  POST: '/sessions/{userId}/clear',
};

/**
 * Calls the local stack over real HTTP and checks every answer against docs/openapi.yaml: its status,
 * its body (a 401 from the authorizer has API Gateway's own body, which the document describes too)
 * and every header the document marks required.
 */
export async function api(method: string, userId: string, request: ApiRequest = {}): Promise<ApiResponse> {
  const route = request.route ?? (ROUTES[method] as string);
  const path = request.path ?? route.replace('{userId}', encodeURIComponent(userId));
  const headers: Record<string, string> = { ...request.headers };
  const token = request.token === undefined ? localToken(userId) : request.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined = request.rawBody;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${inject('httpUrl')}${path}`, { method, headers, body });
  const text = await response.text();
  const parsed = text === '' ? undefined : JSON.parse(text);
  assertMatchesOpenApi(route, method, response.status, parsed, response.headers);
  return { status: response.status, headers: response.headers, body: parsed, text };
}
