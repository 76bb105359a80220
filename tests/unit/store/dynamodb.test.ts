import { afterAll, describe, expect, it, vi } from 'vitest';
import { createDocumentClient, DYNAMODB_MAX_ATTEMPTS } from '../../../lib/store/dynamodb.ts';

// Building a client sends nothing; these tests only read its resolved settings.
const clients: ReturnType<typeof createDocumentClient>[] = [];
const build = (options: Parameters<typeof createDocumentClient>[0]) => {
  const client = createDocumentClient(options);
  clients.push(client);
  return client;
};
afterAll(() => {
  for (const client of clients) client.destroy();
});

describe('createDocumentClient', () => {
  it.each([
    ['no options', {}, 'us-east-1'],
    ['a region', { region: 'eu-west-1' }, 'eu-west-1'],
  ])('with %s uses the region %s', async (_name, options, region) => {
    expect(await build(options).config.region()).toBe(region);
  });

  it('bounds the attempts per request', async () => {
    expect(await build({}).config.maxAttempts()).toBe(DYNAMODB_MAX_ATTEMPTS);
  });

  it.each([
    ['a local endpoint', { endpoint: 'http://127.0.0.1:9' }],
    ['placeholder credentials asked for', { placeholderCredentials: true }],
  ])('signs with placeholder credentials for %s', async (_name, options) => {
    const credentials = await build(options).config.credentials();
    expect(credentials).toMatchObject({ accessKeyId: 'local', secretAccessKey: 'local' });
  });

  it('otherwise leaves the credentials to the SDK, which finds them in the environment first', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAUNITTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'unit-test-secret');
    try {
      const client = build({ endpoint: 'http://127.0.0.1:9', placeholderCredentials: false });
      expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'AKIAUNITTEST' });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('removes undefined values when marshalling', () => {
    expect(build({}).config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });
});
