/**
 * `npm start`: the embedded DynamoDB, the table and the real handlers on this machine, until Ctrl-C.
 * `npm start -- --in-memory` keeps nothing on disk.
 */
import { defaultOptions, startLocalStack } from './stack.ts';
import { localToken } from './token.ts';

const options = { ...defaultOptions(), inMemory: process.argv.includes('--in-memory') };
const stack = await startLocalStack(options);
const exampleUser = 'wa:+447700900123';

console.log(`
session-service is running locally (stage dev${options.inMemory ? ', in memory' : ', data in .data/'})

  HTTP API        ${stack.httpUrl}
  Lambda invoke   ${stack.lambdaEndpoint}   (function names: session-service-dev-createOrGet, ...)
  DynamoDB        ${stack.dynamodbEndpoint}   (table ${stack.tableName})

  A token for a user:   npm run token -- '${exampleUser}'

  Try it:
    curl -i -X PUT ${stack.httpUrl}/sessions/${encodeURIComponent(exampleUser)} \\
      -H "Authorization: Bearer ${localToken(exampleUser)}"

Press Ctrl-C to stop.
`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping...`);
  await stack.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
