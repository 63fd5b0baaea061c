/**
 * The Node floor: `node:http` + one `undici.Pool` per backend, round robin, bodies piped with
 * `pool.stream`; no framework. `node --import tsx bench/floors/node.ts --port 0 --backend URL...`;
 * prints `listening on URL`. Hop-by-hop headers are dropped each way (undici refuses some).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { proxyArgsOrExit } from './args.ts';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP.has(name)) out[name] = value;
  }
  return out;
}

const { port, backends } = proxyArgsOrExit(process.argv.slice(2), (n) => process.env[n], process.exit);
const pools = backends.map((b) => new Pool(b, { connections: 256, keepAliveTimeout: 10_000 }));
let next = 0;

const server = createServer((req, res) => {
  const pool = pools[next++ % pools.length];
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream(
    { path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers: endToEnd(req.headers), body: hasBody ? req : undefined, opaque: res },
    ({ statusCode, headers, opaque }) => {
      const out = opaque as typeof res;
      out.writeHead(statusCode, endToEnd(headers));
      return out;
    },
    (err) => {
      if (!err) return;
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway\n');
    },
  );
});
server.keepAliveTimeout = 10_000;
server.listen(port, '127.0.0.1', () => console.log(`node floor listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void Promise.all(pools.map((p) => p.close())).then(() => process.exit(0));
});
