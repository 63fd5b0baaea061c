/** Node: served by @hono/node-server, backends reached through an undici keep-alive pool. */
import { serve as nodeServe } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import process from 'node:process';
import { undiciTransport } from '../transport/undici.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { nodeProcess } from './node-process.ts';
import type { Runtime, ServeFn } from './types.ts';

/** Serves `handler` with node:http; its env is @hono/node-server's `{incoming, outgoing}`. Port 0 picks a free port. */
export const serve: ServeFn = (handler, options) =>
  new Promise((resolve, reject) => {
    const server = nodeServe({ fetch: handler, hostname: options.hostname, port: options.port }, (info: AddressInfo) => {
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
