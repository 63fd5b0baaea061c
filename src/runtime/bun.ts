/** Bun: served by Bun.serve, backends reached through Bun's fetch with decompression off. */
import { getConnInfo } from 'hono/bun';
import { guardRequests } from '../core/request-guards.ts';
import { wantsWebSocket, type WebSocketUpgrader } from '../core/websocket.ts';
import { bunUpgrader, bunWebSocket, UPGRADED } from './websocket-bun.ts';
import { fetchTransport } from '../transport/fetch.ts';
import type { CaBundles } from '../transport/types.ts';
import { BUN_WHOLE_BODY_LIMIT_BYTES } from '../transport/whole-body.ts';
import type { BackendTls } from '../config/backend-tls.ts';
import { zlibCompression } from './compress.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { nodeProcess } from './node-process.ts';
import type { TlsMaterial } from './tls.ts';
import type { Runtime, ServeFn } from './types.ts';

interface BunServer {
  port: number;
  requestIP(req: Request): { address: string; family: string; port: number } | null;
  timeout(req: Request, seconds: number): void;
  upgrade(req: Request, options: { headers?: Record<string, string>; data: unknown }): boolean;
  stop(closeActive?: boolean): Promise<void>;
}
/** What Hono's getConnInfo needs of the env: the Bun server, or a stand-in for a request made here. */
type ClientAddress = Pick<BunServer, 'requestIP'> & { webSocketUpgrade?: WebSocketUpgrader };
const Bun = (globalThis as unknown as { Bun: { version: string; serve(o: unknown): BunServer } }).Bun;

/** Bun.serve's `tls`: the first certificate is the default, and each of every certificate's names picks it by SNI (the first to claim a name keeps it). */
function bunTls(material: TlsMaterial): Array<{ cert: string; key: string; serverName?: string }> {
  const seen = new Set<string>();
  const byName = material.certificates.flatMap((c) => c.names.filter((n) => !seen.has(n) && seen.add(n)).map((serverName) => ({ cert: c.cert, key: c.key, serverName })));
  const first = material.certificates[0];
  return [{ cert: first.cert, key: first.key }, ...byName];
}

/**
 * Bun's fetch `tls` for a backend's settings: `ca` (the CA file's PEM) replaces Bun's bundled
 * Mozilla CAs, `serverName` is the SNI and the name checked, `rejectUnauthorized: false` checks
 * nothing. Bun keeps a keep-alive pool per distinct `tls`.
 */
function bunTlsInit(tls: BackendTls, cas: CaBundles | undefined): Record<string, unknown> | { refused: string } {
  const ca = tls.caFile === undefined ? undefined : cas?.get(tls.caFile);
  if (tls.caFile !== undefined && ca === undefined && !tls.insecureSkipVerify) return { refused: `tls.ca_file ${JSON.stringify(tls.caFile)} was not read at start` };
  return { tls: { ...(ca !== undefined ? { ca } : {}), ...(tls.serverName ? { serverName: tls.serverName } : {}), rejectUnauthorized: !tls.insecureSkipVerify } };
}

/** Bun's idle timer counts whole seconds up to 255 (0 would turn it off). */
const idleSeconds = (ms: number) => Math.min(255, Math.max(1, Math.ceil(ms / 1000)));

/**
 * Serves `handler` with Bun.serve; its env is the Bun server (as Hono's getConnInfo expects). Port 0 picks a free port.
 * A keep-alive connection may idle `idleTimeoutMs` (in Bun's coarse steps); Bun's own parser closes a connection
 * whose request head has not arrived within about 10 s, whatever `headerTimeoutMs` says, and keeps no connection
 * count. Bun refuses no body itself: `maxBodyBytes` is the core's (a 413 problem rather than a reset connection).
 * With `tls` it serves HTTPS, certificates chosen by SNI. Bun's `server.reload` keeps the certificates it started
 * with, so `reloadTls` starts a second server on the same port (both bound with SO_REUSEPORT) and stops the first
 * gracefully: its open connections finish what they have in flight. With `tls.http2`, clients that offer `h2` by
 * ALPN get HTTP/2 (Bun.serve's `http2`), the others HTTP/1.1.
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
    // A WebSocket upgrade's env carries its upgrader; once upgraded, Bun's fetch returns nothing.
    const upgrading = wantsWebSocket(req.headers);
    let res: Response | undefined;
    try {
      res = await guarded(request, upgrading ? { requestIP: () => env.requestIP(req), webSocketUpgrade: bunUpgrader(srv, req) } : env);
      return res.headers.has(UPGRADED) ? undefined : res;
    } finally {
      if (!res?.headers.has(UPGRADED)) srv.timeout(req, idle);
    }
  };
  const scheme = options.tls ? 'https' : 'http';
  const start = (port: number, tls: TlsMaterial | undefined) =>
    Bun.serve({
      hostname: options.hostname,
      port,
      // http2: Bun offers `h2` by ALPN, then `http/1.1`.
      ...(tls ? { tls: bunTls(tls), reusePort: true, http2: tls.http2 } : {}),
      idleTimeout: idle,
      // Bun's own limit (128 MiB by default) resets the connection; max_body is the core's, answered 413.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      websocket: bunWebSocket,
      fetch: (req: Request, srv: BunServer) => {
        if (/^https?:\/\//.test(req.url)) return timed(req, srv, srv);
        // Bun leaves the URL relative when Host is missing or unusable. Without one (HTTP/1.0),
        // this server's own address stands in, as nginx does; a malformed one is the client's error.
        if (req.headers.get('host')) return new Response('Bad Request: invalid Host header\n', { status: 400, headers: { 'content-type': 'text/plain' } });
        const origin = `${scheme}://${options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname}:${srv.port}`;
        return timed(req, srv, { requestIP: () => srv.requestIP(req) }, new Request(new URL(req.url, origin), req));
      },
    });
  let server = start(options.port, options.tls);
  /** Servers replaced by a reload, finishing their open connections. */
  const draining = new Set<Promise<void>>();
  return {
    hostname: options.hostname,
    port: server.port,
    close: async () => {
      await Promise.all([server.stop(false), ...draining]);
    },
    ...(options.tls
      ? {
          reloadTls: async (material: TlsMaterial) => {
            const old = server;
            server = start(old.port, material);
            const done: Promise<void> = old.stop(false).then(
              () => void draining.delete(done),
              () => void draining.delete(done),
            );
            draining.add(done);
          },
        }
      : {}),
  };
};

export const runtime: Runtime = {
  ...nodeProcess,
  name: `Bun ${Bun.version}`,
  serve,
  // Bun's fetch passes encoded bodies through when asked.
  transport: (cas) => fetchTransport({ decodesBodies: false, init: { decompress: false }, wholeBodyLimitBytes: BUN_WHOLE_BODY_LIMIT_BYTES, tlsInit: (tls) => bunTlsInit(tls, cas) }),
  clientIp: (c) => getConnInfo(c).remote.address ?? '',
  digest: nodeDigest,
  hmac: nodeHmac,
  compress: zlibCompression,
};
