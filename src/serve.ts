import { serve as nodeServe } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import type { FetchHandler, Served } from './serving.ts';

export type { ConnEnv } from './serving.ts';

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

/** Serves `handler` with `Bun.serve` under Bun, else with @hono/node-server. Port 0 picks a free port. */
export async function serveFetch(handler: FetchHandler, options: { hostname: string; port: number }): Promise<Served> {
  if (isBun) return serveBun(handler, options);
  return new Promise((resolve, reject) => {
    const server = nodeServe(
      {
        fetch: (req, env) => handler(req, { clientIp: (env as { incoming: { socket: { remoteAddress?: string } } }).incoming.socket.remoteAddress ?? '' }),
        hostname: options.hostname,
        port: options.port,
      },
      (info: AddressInfo) => {
        resolve({
          hostname: options.hostname,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              const s = server as Server;
              s.close(() => done());
              s.closeIdleConnections?.();
            }),
        });
      },
    ) as Server;
    server.once('error', reject);
  });
}

interface BunServer {
  port: number;
  requestIP(req: Request): { address: string } | null;
  stop(closeActive?: boolean): Promise<void>;
}

async function serveBun(handler: FetchHandler, options: { hostname: string; port: number }): Promise<Served> {
  const Bun = (globalThis as unknown as { Bun: { serve(o: unknown): BunServer } }).Bun;
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    idleTimeout: 0,
    fetch: (req: Request, srv: BunServer) => {
      const clientIp = srv.requestIP(req)?.address ?? '';
      if (/^https?:\/\//.test(req.url)) return handler(req, { clientIp });
      // Bun leaves the URL relative when Host is missing or unusable. Without one (HTTP/1.0),
      // this server's own address stands in, as nginx does; a malformed one is the client's error.
      if (req.headers.get('host')) return new Response('Bad Request: invalid Host header\n', { status: 400, headers: { 'content-type': 'text/plain' } });
      return handler(new Request(new URL(req.url, `http://${options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname}:${server.port}`), req), { clientIp });
    },
  });
  return { hostname: options.hostname, port: server.port, close: () => server.stop(false) };
}
