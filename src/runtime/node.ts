/** Node: served by @hono/node-server, backends reached through an undici keep-alive pool. */
import { serve as nodeServe } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Server } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import process from 'node:process';
import { guardRequests } from '../core/request-guards.ts';
import { undiciTransport } from '../transport/undici.ts';
import { upgradeListener } from './websocket-node.ts';
import { zlibCompression } from './compress.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { http2SafeResponses, http2ServerOptions, limitHttp2Server } from './http2.ts';
import { DEFAULT_LIMITS, sweepEveryMs } from './limits.ts';
import { nodeProcess } from './node-process.ts';
import { pickCertificate, withScheme, type TlsMaterial } from './tls.ts';
import type { FetchHandler, Runtime, ServeFn } from './types.ts';

/**
 * Serves `handler` with node:http; its env is @hono/node-server's `{incoming, outgoing}`. Port 0 picks a free port.
 * node:http applies the limits itself: a request head must arrive within `headerTimeoutMs` (checked every
 * `sweepEveryMs`), a keep-alive connection may idle `idleTimeoutMs`, connections past `maxConnections` are
 * closed as they arrive; the body has no overall deadline (an upload takes as long as it takes).
 * With `tls`, node:https serves: the TLS handshake too must finish within `headerTimeoutMs`, a client's server
 * name picks its certificate (SNICallback), and `reloadTls` swaps them for new connections (setSecureContext).
 * With `tls.http2`, node:http2's secure server serves instead, HTTP/2 to clients that offer `h2` by ALPN and
 * HTTP/1.1 (with its upgrades) to the others; `limitHttp2Server` says how the limits apply to HTTP/2.
 */
export const serve: ServeFn = (handler, options) =>
  new Promise((resolve, reject) => {
    const limits = options.limits ?? DEFAULT_LIMITS;
    const scheme = options.tls ? 'https' : 'http';
    // The listener says the scheme: an absolute-form target (`GET http://x/` over TLS) does not.
    const own: FetchHandler = (req, env) => handler(withScheme(req, scheme), env);
    const h2 = options.tls?.http2 === true;
    const guarded = guardRequests(own, { maxBodyBytes: limits.maxBodyBytes });
    const fetch = h2 ? http2SafeResponses(guarded) : guarded;
    const tls = options.tls ? secureContexts(options.tls) : undefined;
    const serverOptions = {
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: limits.idleTimeoutMs,
      connectionsCheckingInterval: sweepEveryMs(limits),
      ...(tls ? { ...tls.defaults(), handshakeTimeout: limits.headerTimeoutMs, SNICallback: tls.sni } : {}),
      ...(h2 ? http2ServerOptions : {}),
    };
    const createServer = h2 ? { createServer: createSecureServer } : tls ? { createServer: createHttpsServer } : {};
    const server = nodeServe({ fetch, hostname: options.hostname, port: options.port, serverOptions, ...createServer }, (info: AddressInfo) => {
      resolve({
        hostname: options.hostname,
        port: info.port,
        ...(tls ? { reloadTls: async (material: TlsMaterial) => tls.reload(material, server as unknown as { setSecureContext(o: object): void }) } : {}),
        close: () =>
          new Promise<void>((done) => {
            const s = server as Server;
            s.close(() => done());
            s.closeIdleConnections?.();
            sessions?.closeSessions();
          }),
      });
    }) as Server;
    // Before it listens: node:http2 reads none of node:http's limit options.
    const sessions = h2 ? limitHttp2Server(server as unknown as Http2SecureServer, limits) : undefined;
    server.maxConnections = limits.maxConnections;
    server.on('upgrade', upgradeListener(fetch, scheme));
    server.once('error', reject);
  });

/** The certificates of one listener: the default's options, the SNI lookup, and a swap for new connections. */
function secureContexts(initial: TlsMaterial) {
  let material = initial;
  let contexts: SecureContext[] = material.certificates.map((c) => createSecureContext({ cert: c.cert, key: c.key }));
  const first = () => ({ cert: material.certificates[0].cert, key: material.certificates[0].key });
  return {
    defaults: first,
    sni: (serverName: string, done: (err: Error | null, ctx?: SecureContext) => void) => done(null, contexts[pickCertificate(material.certificates, serverName)]),
    reload: (next: TlsMaterial, server: { setSecureContext(o: object): void }) => {
      const made = next.certificates.map((c) => createSecureContext({ cert: c.cert, key: c.key }));
      material = next;
      contexts = made;
      server.setSecureContext(first());
    },
  };
}

export const runtime: Runtime = {
  ...nodeProcess,
  name: `Node ${process.version}`,
  serve,
  // Passes bodies through untouched (no decoding), and is several times faster than Node's fetch.
  transport: (cas) => undiciTransport({ cas }),
  clientIp: (c) => getConnInfo(c).remote.address ?? '',
  digest: nodeDigest,
  hmac: nodeHmac,
  compress: zlibCompression,
};
