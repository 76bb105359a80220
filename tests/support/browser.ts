/** Headless Chromium for the browser tests, and a server that gives their pages an origin of their own. */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CHROMIUM = '/usr/bin/chromium';
/** Why the browser tests cannot run here, or undefined when they can. */
export const CHROMIUM_MISSING = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is not installed (Debian package "chromium"; .ci/run installs it)`;
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PageServer {
  server: Server;
  origin: string;
  close(): void;
}

/**
 * Serves `files` (path to content type and body) on a port of its own, so that the pages have an origin
 * the API is not on. Anything else is 404.
 */
export async function startPageServer(
  files: Record<string, { contentType: string; body: string | Buffer }>,
): Promise<PageServer> {
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://page').pathname];
    if (request.method === 'GET' && file) {
      response.writeHead(200, { 'Content-Type': file.contentType, 'Cache-Control': 'no-store' });
      response.end(file.body);
    } else {
      response.writeHead(404).end();
    }
  });
  server.listen(0, 'localhost');
  await once(server, 'listening');
  return {
    server,
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
