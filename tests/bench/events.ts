/**
 * The shared in-process Lambda inputs (tests/support/lambda-events.ts), addressed by route, with the
 * bearer token and If-Match header a real website call would carry.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { localToken } from '../../lib/local/token.ts';
import { type Method, httpEvent as sharedHttpEvent } from '../support/lambda-events.ts';

export { lambdaContext } from '../support/lambda-events.ts';

export type Route = 'PUT' | 'GET' | 'PATCH' | 'DELETE' | 'POST /clear';

const METHOD_OF: Record<Route, Method> = {
  PUT: 'PUT',
  GET: 'GET',
  PATCH: 'PATCH',
  DELETE: 'DELETE',
  'POST /clear': 'POST',
};

export interface HttpEventOptions {
  route: Route;
  userId: string;
  /** Sent as JSON with `Content-Type: application/json`; omitted when undefined. */
  body?: unknown;
  /** The entity tag for `If-Match`, as the last response sent it; no If-Match header when undefined. */
  ifMatch?: string | undefined;
}

/** An HTTP API v2 event for `route` on behalf of `userId`, as the JWT authorizer passes it on. */
export function httpEvent(options: HttpEventOptions): APIGatewayProxyEventV2WithJWTAuthorizer {
  return sharedHttpEvent(METHOD_OF[options.route], options.userId, {
    json: options.body,
    headers: {
      authorization: `Bearer ${localToken(options.userId)}`,
      ...(options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch }),
    },
  });
}
