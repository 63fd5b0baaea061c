/** Bun: served by Bun.serve, backends reached through Bun's fetch with decompression off. */
import { getConnInfo } from 'hono/bun';
import { fetchTransport } from '../transport/fetch.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { nodeProcess } from './node-process.ts';
import type { Runtime, ServeFn } from './types.ts';

interface BunServer {
  port: number;
  requestIP(req: Request): { address: string; family: string; port: number } | null;
  stop(closeActive?: boolean): Promise<void>;
}
const Bun = (globalThis as unknown as { Bun: { version: string; serve(o: unknown): BunServer } }).Bun;

/** Serves `handler` with Bun.serve; its env is the Bun server (as Hono's getConnInfo expects). Port 0 picks a free port. */
export const serve: ServeFn = async (handler, options) => {
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    idleTimeout: 0,
    fetch: (req: Request, srv: BunServer) => {
      if (/^https?:\/\//.test(req.url)) return handler(req, srv);
      // Bun leaves the URL relative when Host is missing or unusable. Without one (HTTP/1.0),
      // this server's own address stands in, as nginx does; a malformed one is the client's error.
      if (req.headers.get('host')) return new Response('Bad Request: invalid Host header\n', { status: 400, headers: { 'content-type': 'text/plain' } });
      const origin = `http://${options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname}:${server.port}`;
      return handler(new Request(new URL(req.url, origin), req), { requestIP: () => srv.requestIP(req) });
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
