/** Starts the local stack once for the end-to-end tests, in memory and on free ports. */
import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../lib/local/stack.ts';
import { freePort } from './free-port.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    httpUrl: string;
    lambdaEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const stack = await startLocalStack({
    dynamodbPort: await freePort(),
    httpPort: await freePort(),
    lambdaPort: await freePort(),
    inMemory: true,
    output: process.env.STACK_OUTPUT === 'inherit' ? 'inherit' : 'ignore',
  });
  project.provide('httpUrl', stack.httpUrl);
  project.provide('lambdaEndpoint', stack.lambdaEndpoint);
  project.provide('dynamodbEndpoint', stack.dynamodbEndpoint);
  project.provide('tableName', stack.tableName);
  return () => stack.stop();
}
