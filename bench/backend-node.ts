/**
 * The benchmark's backend when nginx is not installed: `node --import tsx bench/backend-node.ts
 * PORT` answers `/small` (100 bytes), `/large` (64 KiB) and `/health`, from buffers made once.
 * Prints `listening on URL`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SMALL_BYTES = 100;
export const LARGE_BYTES = 64 * 1024;

const bodies: Record<string, Buffer> = {
  '/small': Buffer.alloc(SMALL_BYTES, 'a'),
  '/large': Buffer.alloc(LARGE_BYTES, 'b'),
  '/health': Buffer.from('ok\n'),
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = createServer((req, res) => {
    const body = bodies[req.url ?? ''];
    if (!body) return void res.writeHead(404, { 'content-length': 0 }).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
    console.log(`backend listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
  );
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
  });
}
