/**
 * Destructive tests create and drop tables, so they run only against a DynamoDB on this machine: the
 * embedded one, or `DYNAMODB_ENDPOINT` when it points at localhost.
 */
export function assertLocalEndpoint(endpoint: string): void {
  const { hostname } = new URL(endpoint);
  if (!['localhost', '127.0.0.1', '::1', '[::1]'].includes(hostname)) {
    throw new Error(`Refusing to run tests against ${endpoint}: DYNAMODB_ENDPOINT must be a local DynamoDB`);
  }
}
