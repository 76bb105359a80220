/**
 * The API from a web page on another origin, in headless Chromium: the browser sends a CORS
 * preflight before each call, the script reads ETag (only possible because the API exposes it) and
 * sends it back in If-Match. The page, browser-page.html, writes what it saw into window.results.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localToken } from '../../lib/local/token.ts';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  CHROMIUM_MISSING,
  type PageServer,
  startPageServer,
} from '../support/browser.ts';

/** One call from the page: the If-Match it sent; the status, readable ETag and body, or the fetch error. */
interface SeenCall {
  sentIfMatch: string | null;
  status?: number;
  etag?: string | null;
  body?: unknown;
  error?: string;
}

interface PageResults {
  put: SeenCall;
  patch: SeenCall;
  stalePatch: SeenCall;
  delete: SeenCall;
  getAfterDelete: SeenCall;
  disallowedHeader: SeenCall;
  pageError?: string;
}

/** A preflight as the browser sent it and the stack answered it. */
interface Preflight {
  requestMethod: string;
  requestHeaders: string[];
  status: number;
  allowOrigin: string | undefined;
}

const lowerCaseKeys = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));

describe('the API from a page on another origin, in headless Chromium', () => {
  const apiUrl = inject('httpUrl');
  const userId = `wa:+44${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  let browser: Browser | undefined;
  let pageServer: PageServer | undefined;
  let results: PageResults;
  const preflights: Preflight[] = [];

  beforeAll(async () => {
    if (CHROMIUM_MISSING) {
      console.warn(`browser tests skipped: ${CHROMIUM_MISSING}`);
      return;
    }
    // The page has an origin of its own, not the API's.
    pageServer = await startPageServer({
      '/': {
        contentType: 'text/html; charset=utf-8',
        body: readFileSync(new URL('./browser-page.html', import.meta.url)),
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage();

    // Preflights never reach page scripts; the DevTools protocol reports them.
    const cdp = await page.context().newCDPSession(page);
    const preflightRequests = new Map<string, Record<string, string>>();
    cdp.on('Network.requestWillBeSent', ({ requestId, request }) => {
      if (request.method === 'OPTIONS') preflightRequests.set(requestId, lowerCaseKeys(request.headers));
    });
    cdp.on('Network.responseReceived', ({ requestId, type, response }) => {
      const request = preflightRequests.get(requestId);
      if (type !== 'Preflight' || !request) return;
      preflights.push({
        requestMethod: request['access-control-request-method'] ?? '',
        requestHeaders: (request['access-control-request-headers'] ?? '')
          .split(',')
          .map((name) => name.trim()),
        status: response.status,
        allowOrigin: lowerCaseKeys(response.headers)['access-control-allow-origin'],
      });
    });
    await cdp.send('Network.enable');

    const query = new URLSearchParams({ api: apiUrl, user: userId, token: localToken(userId) });
    await page.goto(`${pageServer.origin}/?${query}`);
    await page.waitForFunction('window.results !== undefined', undefined, { timeout: 30_000 });
    results = (await page.evaluate('window.results')) as PageResults;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    pageServer?.close();
  });

  it('runs the page on an origin other than the API’s, and the script completes', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(pageServer?.origin).not.toBe(new URL(apiUrl).origin);
    expect(results.pageError).toBeUndefined();
  });

  it('sends a preflight for PUT, PATCH and DELETE with Authorization and If-Match, and the stack allows the page origin', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);
    const preflightFor = (method: string) =>
      preflights.find((preflight) => preflight.requestMethod === method);

    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      expect(preflightFor(method), `preflight for ${method}`).toMatchObject({
        status: 204,
        allowOrigin: pageServer?.origin,
      });
      expect(preflightFor(method)?.requestHeaders).toContain('authorization');
    }
    expect(preflightFor('PATCH')?.requestHeaders).toContain('if-match');
    expect(preflightFor('DELETE')?.requestHeaders).toContain('if-match');
  });

  /** The entity tag of the page's session at `version`. */
  const tag = (version: number) => `"${(results.put.body as { sessionId?: string }).sessionId}.${version}"`;

  it('creates the session with PUT and lets the script read its ETag', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.put).toMatchObject({
      status: 201,
      etag: tag(1),
      body: { userId, source: 'Website', version: 1, step: null },
    });
  });

  it('updates with PATCH and the ETag it read as If-Match, and reads the new ETag', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.patch).toMatchObject({
      sentIfMatch: tag(1),
      status: 200,
      etag: tag(2),
      body: { userId, step: 'pick_time', version: 2 },
    });
    expect((results.patch.body as { sessionId?: string }).sessionId).toBe(
      (results.put.body as { sessionId?: string }).sessionId,
    );
  });

  it('gets 412 VERSION_CONFLICT for PATCH with the stale ETag', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.stalePatch).toMatchObject({
      sentIfMatch: tag(1),
      status: 412,
      body: { error: { code: 'VERSION_CONFLICT' } },
    });
  });

  it('deletes with the current ETag: 204 with no body, then GET answers 404', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.delete).toEqual({ sentIfMatch: tag(2), status: 204, etag: null, body: null });
    expect(results.getAfterDelete).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });

  it('refuses at the preflight a request header the API does not allow', (ctx) => {
    if (CHROMIUM_MISSING) ctx.skip(CHROMIUM_MISSING);

    expect(results.disallowedHeader).toEqual({
      sentIfMatch: null,
      error: expect.stringMatching(/^TypeError/),
    });
    expect(preflights.some((preflight) => preflight.requestHeaders.includes('x-not-allowed'))).toBe(true);
  });
});
