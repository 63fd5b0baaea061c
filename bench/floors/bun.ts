/**
 * The Bun floor: a bare `Bun.serve` + `fetch` round-robin proxy, no framework.
 * `bun bench/floors/bun.ts --port 0 --backend URL...`; prints `listening on URL`.
 */
import { pathOf, proxyArgsOrExit } from './args.ts';

const { port, backends } = proxyArgsOrExit(Bun.argv.slice(2), (n) => process.env[n], process.exit);
let next = 0;
const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(req) {
    const backend = backends[next++ % backends.length];
    return fetch(backend + pathOf(req.url), { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' });
  },
});
console.log(`bun floor listening on http://127.0.0.1:${server.port}`);
process.on('SIGTERM', () => void server.stop(true).then(() => process.exit(0)));
