/** Node: served by @hono/node-server, backends reached through an undici keep-alive pool. */
import { serve as nodeServe } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import process from 'node:process';
import { guardRequests } from '../core/request-guards.ts';
import { undiciTransport } from '../transport/undici.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { DEFAULT_LIMITS, sweepEveryMs } from './limits.ts';
import { nodeProcess } from './node-process.ts';
import type { Runtime, ServeFn } from './types.ts';

/**
 * Serves `handler` with node:http; its env is @hono/node-server's `{incoming, outgoing}`. Port 0 picks a free port.
 * node:http applies the limits itself: a request head must arrive within `headerTimeoutMs` (checked every
 * `sweepEveryMs`), a keep-alive connection may idle `idleTimeoutMs`, connections past `maxConnections` are
 * closed as they arrive; the body has no overall deadline (an upload takes as long as it takes).
 */
export const serve: ServeFn = (handler, options) =>
  new Promise((resolve, reject) => {
    const limits = options.limits ?? DEFAULT_LIMITS;
    const fetch = guardRequests(handler, { maxBodyBytes: limits.maxBodyBytes });
    const serverOptions = {
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: limits.idleTimeoutMs,
      connectionsCheckingInterval: sweepEveryMs(limits),
    };
    const server = nodeServe({ fetch, hostname: options.hostname, port: options.port, serverOptions }, (info: AddressInfo) => {
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
    }) as Server;
    server.maxConnections = limits.maxConnections;
    server.once('error', reject);
  });

export const runtime: Runtime = {
  ...nodeProcess,
  name: `Node ${process.version}`,
  serve,
  // Passes bodies through untouched (no decoding), and is several times faster than Node's fetch.
  transport: () => undiciTransport(),
  clientIp: (c) => getConnInfo(c).remote.address ?? '',
  digest: nodeDigest,
  hmac: nodeHmac,
};
