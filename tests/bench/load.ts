/**
 * Section 5 (full run only, for information): the whole local stack (serverless-offline running the
 * real handlers, on the embedded DynamoDB) under autocannon, one user per request.
 */
import autocannon, { type Request, type Result } from 'autocannon';
import { startLocalStack } from '../../lib/local/stack.ts';
import { localToken } from '../../lib/local/token.ts';
import { createDocumentClient } from '../../lib/store/dynamodb.ts';
import { freePort } from '../support/free-port.ts';
import { putItems } from './dynamo.ts';
import { sweepFixture } from './sweep-cost.ts';

export interface LoadRow {
  route: string;
  description: string;
  connections: number;
  durationS: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

const PATCH_BODY = JSON.stringify({ step: 'choose-date', booking: { partySize: 2 }, context: { turns: 3 } });

function row(route: string, description: string, connections: number, result: Result): LoadRow {
  return {
    route,
    description,
    connections,
    durationS: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, Number(count)]),
    ),
  };
}

/** A request for `userId`, with the bearer token the local stack accepts for that user. */
function asUser(request: Request, method: string, userId: string, body: string): Request {
  return {
    ...request,
    method,
    path: `/sessions/${encodeURIComponent(userId)}`,
    headers: {
      authorization: `Bearer ${localToken(userId)}`,
      'content-type': 'application/json',
    },
    body,
  };
}

export async function measureLoad(options: {
  connections: number;
  durationS: number;
  /** Sessions seeded for the PATCH run; each request takes the next one, round-robin. */
  patchUsers: number;
  log?: (line: string) => void;
}): Promise<LoadRow[]> {
  const log = options.log ?? (() => undefined);
  const stack = await startLocalStack({
    dynamodbPort: await freePort(),
    httpPort: await freePort(),
    lambdaPort: await freePort(),
    inMemory: true,
    output: 'ignore',
  });
  try {
    log(`  local stack up at ${stack.httpUrl}`);
    const doc = createDocumentClient({ endpoint: stack.dynamodbEndpoint });
    const { live } = sweepFixture(options.patchUsers, 0, new Date());
    await putItems(doc, stack.tableName, live);
    doc.destroy();
    const patchUsers = live.map((item) => String(item.userId));

    // serverless-offline loads each handler on its first requests, at every level of concurrency it
    // reaches: a short unmeasured run of each route keeps that out of the figures.
    for (const [method, body] of [
      ['PUT', '{"source":"Website"}'],
      ['PATCH', PATCH_BODY],
    ] as const) {
      let warmed = 0;
      await autocannon({
        url: stack.httpUrl,
        connections: options.connections,
        duration: 3,
        requests: [
          {
            setupRequest: (request) =>
              asUser(
                request,
                method,
                method === 'PUT' ? `warm-${warmed++}` : (patchUsers[warmed++ % patchUsers.length] ?? ''),
                body,
              ),
          },
        ],
      });
    }

    let created = 0;
    const put = await autocannon({
      url: stack.httpUrl,
      connections: options.connections,
      duration: options.durationS,
      requests: [
        { setupRequest: (request) => asUser(request, 'PUT', `load-${created++}`, '{"source":"Website"}') },
      ],
    });
    log(`  PUT: ${put.requests.total} requests`);
    let patched = 0;
    const patch = await autocannon({
      url: stack.httpUrl,
      connections: options.connections,
      duration: options.durationS,
      requests: [
        {
          setupRequest: (request) =>
            asUser(request, 'PATCH', patchUsers[patched++ % patchUsers.length] ?? '', PATCH_BODY),
        },
      ],
    });
    log(`  PATCH: ${patch.requests.total} requests`);
    return [
      row('PUT /sessions/{userId}', 'createOrGet, a new user on every request', options.connections, put),
      row(
        'PATCH /sessions/{userId}',
        `update, ${options.patchUsers.toLocaleString('en-US')} existing users in turn`,
        options.connections,
        patch,
      ),
    ];
  } finally {
    await stack.stop();
  }
}
