// The HTTP side of the metrics endpoints (the agent's and the gateway's), shared by both.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import { messageOf } from '../validation.js';

const textType = 'text/plain; charset=utf-8';

/**
 * Registers a counter whose value is a total kept elsewhere (the agent's stats, the gateway's
 * counts), read at each scrape.
 */
export function registerTotal(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      // A prom-client counter can only be incremented, so it is set from zero to the total.
      this.reset();
      this.inc(read());
    },
  });
}

/** What a metrics endpoint serves, and how it checks its health. */
export interface RegistryEndpoint {
  readonly port: number;
  readonly host: string;
  readonly registry: Registry;
  /** Called before each scrape (to take one stats snapshot for every family); a throw fails the scrape with 500. */
  readonly beforeScrape?: () => void;
  /** Why `/healthz` should answer 503, or undefined for 200 `ok`. */
  readonly trouble?: () => string | undefined;
}

/** A listening endpoint. */
export interface ServedRegistry {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `registry` at `/metrics` and `ok` (or 503 and the trouble) at `/healthz`; 404 elsewhere, 405 for anything but GET and HEAD. */
export async function serveRegistry(endpoint: RegistryEndpoint): Promise<ServedRegistry> {
  const server = createServer((request, response) => {
    answer(request, response, endpoint).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else response.writeHead(500, { 'Content-Type': textType }).end(`could not read stats: ${messageOf(error)}\n`);
    });
  });
  await listen(server, endpoint.port, endpoint.host);
  const bound = (server.address() as AddressInfo).port;
  const urlHost = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${bound}/metrics`,
    port: bound,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from a scraper would otherwise hold close() open indefinitely.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function answer(request: IncomingMessage, response: ServerResponse, endpoint: RegistryEndpoint): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': textType }).end('method not allowed\n');
    return;
  }
  if (path === '/healthz') {
    let trouble: string | undefined;
    try {
      trouble = endpoint.trouble?.();
    } catch (error) {
      trouble = `could not read stats: ${messageOf(error)}`;
    }
    if (trouble === undefined) response.writeHead(200, { 'Content-Type': textType }).end('ok');
    else response.writeHead(503, { 'Content-Type': textType }).end(`${trouble}\n`);
    return;
  }
  if (path !== '/metrics') {
    response.writeHead(404, { 'Content-Type': textType }).end('not found; try /metrics\n');
    return;
  }
  // A broken stats source shows up as a failed scrape (the caller answers 500), not a crash.
  endpoint.beforeScrape?.();
  const body = await endpoint.registry.metrics();
  response.writeHead(200, { 'Content-Type': endpoint.registry.contentType }).end(body);
}
