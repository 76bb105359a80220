/**
 * The packaged HTTP client in headless Chromium, from a page on another origin: the page loads the
 * client as a website ships it (esbuild's browser bundle of `@session-service/client/http`, the one the
 * size budget measures) and runs it against the local stack. The page, client-browser-page.html,
 * writes what it saw into window.results.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localToken } from '../../lib/local/token.ts';
import { bundleHttpClient } from '../bench/client-size.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  CHROMIUM_MISSING,
  type PageServer,
  startPageServer,
} from '../support/browser.ts';

interface PageResults {
  created?: { created: boolean; version: number };
  mutated?: { versions: number[]; attempts: number[]; contextKeys: string[]; version: number };
  replay?: { first: { version: number; replayed: boolean }; again: { version: number; replayed: boolean } };
  stale?: { thrown: boolean; isVersionConflict?: boolean; name?: string; code?: string };
  deleted?: boolean;
  pageError?: string;
}

describe('SessionHttpClient in headless Chromium, from a page on another origin', () => {
  const apiUrl = inject('httpUrl');
  const userId = `wa:+44${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  let browser: Browser | undefined;
  let pageServer: PageServer | undefined;
  let results: PageResults;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (CHROMIUM_MISSING) {
      console.warn(`browser tests skipped: ${CHROMIUM_MISSING}`);
      return;
    }
    pageServer = await startPageServer({
      '/': {
        contentType: 'text/html; charset=utf-8',
        body: readFileSync(new URL('./client-browser-page.html', import.meta.url)),
      },
      '/client.js': {
        contentType: 'text/javascript; charset=utf-8',
        body: await bundleHttpClient({ minify: true }),
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    page.on('pageerror', (error) => consoleErrors.push(String(error)));

    const query = new URLSearchParams({ api: apiUrl, user: userId, token: localToken(userId) });
    await page.goto(`${pageServer.origin}/?${query}`);
    await page.waitForFunction('window.results !== undefined', undefined, { timeout: 60_000 });
    results = (await page.evaluate('window.results')) as PageResults;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    pageServer?.close();
  });

  it('loads the bundled client on an origin other than the API’s, and the script completes', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(pageServer?.origin).not.toBe(new URL(apiUrl).origin);
    expect(consoleErrors).toEqual([]);
    expect(results.pageError).toBeUndefined();
  });

  it('creates the session', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.created).toEqual({ created: true, version: 1 });
  });

  it('lands 4 concurrent mutate calls, each with its own key and version', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.mutated).toMatchObject({
      versions: [2, 3, 4, 5],
      contextKeys: ['a', 'b', 'c', 'd'],
      version: 5,
    });
  });

  it('sees the repeat of a keyed update answered as a replay, applied once', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.replay).toEqual({
      first: { version: 6, replayed: false },
      again: { version: 6, replayed: true },
    });
  });

  it('gets VersionConflictError for a stale If-Match, then deletes with the current one', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.stale).toEqual({
      thrown: true,
      isVersionConflict: true,
      name: 'VersionConflictError',
      code: 'VERSION_CONFLICT',
    });
    expect(results.deleted).toBe(true);
  });
});
