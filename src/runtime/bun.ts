/** Bun: served by Bun.serve, backends reached through Bun's fetch with decompression off. */
import { getConnInfo } from 'hono/bun';
import { guardRequests } from '../core/request-guards.ts';
import { fetchTransport } from '../transport/fetch.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { nodeProcess } from './node-process.ts';
import type { Runtime, ServeFn } from './types.ts';

interface BunServer {
  port: number;
  requestIP(req: Request): { address: string; family: string; port: number } | null;
  timeout(req: Request, seconds: number): void;
  stop(closeActive?: boolean): Promise<void>;
}
/** What Hono's getConnInfo needs of the env: the Bun server, or a stand-in for a request made here. */
type ClientAddress = Pick<BunServer, 'requestIP'>;
const Bun = (globalThis as unknown as { Bun: { version: string; serve(o: unknown): BunServer } }).Bun;

/** Bun's idle timer counts whole seconds up to 255 (0 would turn it off). */
const idleSeconds = (ms: number) => Math.min(255, Math.max(1, Math.ceil(ms / 1000)));

/**
 * Serves `handler` with Bun.serve; its env is the Bun server (as Hono's getConnInfo expects). Port 0 picks a free port.
 * A keep-alive connection may idle `idleTimeoutMs` (in Bun's coarse steps); Bun's own parser closes a connection
 * whose request head has not arrived within about 10 s, whatever `headerTimeoutMs` says, and keeps no connection
 * count. Bun refuses no body itself: `maxBodyBytes` is the core's (a 413 problem rather than a reset connection).
 */
export const serve: ServeFn = async (handler, options) => {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const idle = idleSeconds(limits.idleTimeoutMs);
  const guarded = guardRequests<ClientAddress>(handler, {
    maxBodyBytes: limits.maxBodyBytes,
    // A request whose body is counted is a new object: Bun finds the client's address by the original.
    envFor: (env, original) => ({ requestIP: () => env.requestIP(original) }),
  });
  // Bun's idle timer would also cut a request waiting on a slow backend (the balancer's own
  // timeouts bound that): it is off from the head until the response is ready.
  const timed = async (req: Request, srv: BunServer, env: ClientAddress, request = req) => {
    srv.timeout(req, 0);
    try {
      return await guarded(request, env);
    } finally {
      srv.timeout(req, idle);
    }
  };
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    idleTimeout: idle,
    // Bun's own limit (128 MiB by default) resets the connection; max_body is the core's, answered 413.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: (req: Request, srv: BunServer) => {
      if (/^https?:\/\//.test(req.url)) return timed(req, srv, srv);
      // Bun leaves the URL relative when Host is missing or unusable. Without one (HTTP/1.0),
      // this server's own address stands in, as nginx does; a malformed one is the client's error.
      if (req.headers.get('host')) return new Response('Bad Request: invalid Host header\n', { status: 400, headers: { 'content-type': 'text/plain' } });
      const origin = `http://${options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname}:${server.port}`;
      return timed(req, srv, { requestIP: () => srv.requestIP(req) }, new Request(new URL(req.url, origin), req));
    },
  });
  return { hostname: options.hostname, port: server.port, close: () => server.stop(false) };
};

export const runtime: Runtime = {
  ...nodeProcess,
  name: `Bun ${Bun.version}`,
  serve,
  // Bun's fetch passes encoded bodies through when asked.
  transport: () => fetchTransport({ decodesBodies: false, init: { decompress: false } }),
  clientIp: (c) => getConnInfo(c).remote.address ?? '',
  digest: nodeDigest,
  hmac: nodeHmac,
};
