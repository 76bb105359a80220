import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleHttpClient, clientBytes } from '../../bench/client-size.ts';

describe('clientBytes', () => {
  it('counts the bytes that came from lib/client/ in every output, and nothing else', () => {
    // Prepare: two outputs, with client code, the shared errors and a package.
    const input = (bytesInOutput: number) => ({ bytesInOutput });
    const metafile = {
      inputs: {},
      outputs: {
        'out/a.js': {
          bytes: 0,
          exports: [],
          imports: [],
          inputs: {
            'lib/client/http-client.ts': input(700),
            'lib/errors.ts': input(300),
            'node_modules/zod/mini.js': input(5000),
          },
        },
        'out/b.js': { bytes: 0, exports: [], imports: [], inputs: { 'lib/client/retry.ts': input(20) } },
      },
    } as unknown as Metafile;

    // Act, Assess
    expect(clientBytes(metafile)).toBe(720);
  });
});

describe('bundleHttpClient', () => {
  it('bundles everything the browser needs: no import is left, and no AWS SDK or zod is inside', async () => {
    const code = await bundleHttpClient({ minify: false });

    expect(code).toContain('var SessionHttpClient = class');
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/@aws-sdk|zod|LambdaClient/);
  });
});
