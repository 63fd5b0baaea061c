/**
 * The Deno floor: a bare `Deno.serve` + `fetch` round-robin proxy, no framework.
 * `deno run --allow-net --allow-env bench/floors/deno.ts --port 0 --backend URL...`;
 * prints `listening on URL`.
 */
import { pathOf, proxyArgsOrExit } from './args.ts';

interface DenoApi {
  args: string[];
  env: { get(name: string): string | undefined };
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (req: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
  addSignalListener(signal: string, handler: () => void): void;
  exit(code: number): never;
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

const { port, backends } = proxyArgsOrExit(Deno.args, (n) => Deno.env.get(n), Deno.exit);
let next = 0;
const server = Deno.serve(
  { hostname: '127.0.0.1', port, onListen: (addr) => console.log(`deno floor listening on http://127.0.0.1:${addr.port}`) },
  (req) => {
    const backend = backends[next++ % backends.length];
    return fetch(backend + pathOf(req.url), { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' });
  },
);
Deno.addSignalListener('SIGTERM', () => void server.shutdown().then(() => Deno.exit(0)));
