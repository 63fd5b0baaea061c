/** Deno: served by Deno.serve, backends reached through Deno's fetch. */
import { getConnInfo } from 'hono/deno';
import type { ListenLimits } from '../config/types.ts';
import { ENV_VARS } from '../config/load.ts';
import { guardRequests, type Handler } from '../core/request-guards.ts';
import { fetchTransport } from '../transport/fetch.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { ConnectionTable, DEFAULT_LIMITS, sweepEveryMs } from './limits.ts';
import type { Runtime, Served, ServeFn } from './types.ts';

interface DenoServer {
  addr: { hostname: string; port: number };
  finished: Promise<void>;
  shutdown(): Promise<void>;
}
interface DenoConn {
  close(): void;
}
interface DenoListener extends AsyncIterable<DenoConn> {
  addr: { hostname: string; port: number };
  accept(): Promise<DenoConn>;
  close(): void;
}
type ServeInfo = { completed: Promise<void> };
/** Deno.serve's machinery for one connection accepted elsewhere (what its node:http uses); not a public API. */
type ServeOnConnection = (
  conn: DenoConn,
  signal: AbortSignal,
  handler: (req: Request, info: ServeInfo) => Response | Promise<Response>,
  onError: (error: unknown) => Response,
  onListen: () => void,
) => DenoServer;
interface DenoApi {
  args: string[];
  version: { deno: string };
  env: { get(name: string): string | undefined };
  readTextFile(path: string): Promise<string>;
  createHttpClient(options: { poolIdleTimeout?: number | false }): unknown;
  exit(code: number): never;
  addSignalListener(signal: string, handler: () => void): void;
  stdout: { writeSync(b: Uint8Array): number };
  stderr: { writeSync(b: Uint8Array): number };
  serve(options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void }, handler: (req: Request, info: unknown) => Response | Promise<Response>): DenoServer;
  listen(options: { hostname: string; port: number }): DenoListener;
  internal?: symbol;
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
const encoder = new TextEncoder();
/** How long an idle connection to a backend stays open for reuse. */
const UPSTREAM_IDLE_MS = 4_000;
/** A listener: opened on `port` (0: any free one). */
type Listen = (port: number) => DenoListener;
const internals = Deno.internal ? (Deno as unknown as Record<symbol, { serveHttpOnConnection?: ServeOnConnection } | undefined>)[Deno.internal] : undefined;

/**
 * Serves `handler` with Deno's HTTP server; its env is Deno's serve info (`remoteAddr`, as Hono's
 * getConnInfo expects). Port 0 picks a free port. Deno.serve keeps no timers and no connection
 * count, so this listener accepts the connections itself and serves each with Deno.serve's own
 * machinery: past `maxConnections` a new one is closed at once; one whose first request head has
 * not arrived within `headerTimeoutMs`, or that has idled `idleTimeoutMs` with nothing in flight
 * since its last response, is closed. Where that machinery is missing, plain Deno.serve serves
 * without those limits.
 */
export const serve: ServeFn = async (handler, options) => {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const guarded = guardRequests(handler, { maxBodyBytes: limits.maxBodyBytes });
  const serveOn = internals?.serveHttpOnConnection;
  if (typeof serveOn !== 'function') {
    const server = Deno.serve({ hostname: options.hostname, port: options.port, onListen: () => {} }, (req, info) => guarded(req, info));
    return { hostname: options.hostname, port: server.addr.port, close: () => server.shutdown() };
  }
  const { hostname } = options;
  return serveWithLimits(serveOn, guarded, (port) => Deno.listen({ hostname, port }), hostname, options.port, limits);
};

const internalError = () => new Response('Internal Server Error', { status: 500 });

function serveWithLimits(serveOn: ServeOnConnection, handler: Handler, listen: Listen, hostname: string, port: number, limits: ListenLimits): Served {
  const listener = listen(port);
  const table = new ConnectionTable(limits);
  const servers = new Set<DenoServer>();
  const sweep = setInterval(() => table.sweep(performance.now()), sweepEveryMs(limits));
  let closing = false;

  const accept = (conn: DenoConn) => {
    const abort = new AbortController();
    const c = table.add(performance.now(), () => abort.abort());
    if (!c) return conn.close();
    const done = () => table.finished(c, performance.now());
    const server = serveOn(
      conn,
      abort.signal,
      (req, info) => {
        table.started(c);
        info.completed.then(done, done);
        return handler(req, info);
      },
      internalError,
      () => {},
    );
    servers.add(server);
    const gone = () => {
      table.remove(c);
      servers.delete(server);
    };
    server.finished.then(gone, gone);
  };

  const loop = (async () => {
    while (!closing) {
      let conn: DenoConn;
      try {
        conn = await listener.accept();
      } catch {
        if (closing) return;
        // Out of descriptors or a connection reset before it was accepted: keep listening.
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      accept(conn);
    }
  })();

  return {
    hostname,
    port: listener.addr.port,
    close: async () => {
      closing = true;
      listener.close();
      await loop;
      // As Deno.serve's shutdown: no new connections, in-flight requests finish.
      await Promise.all([...servers].map((s) => s.shutdown().catch(() => {})));
      clearInterval(sweep);
    },
  };
}

export const runtime: Runtime = {
  name: `Deno ${Deno.version.deno}`,
  argv: Deno.args,
  // Only the variables the config reads: deno.json grants exactly those.
  env: Object.fromEntries(ENV_VARS.map((name) => [name, Deno.env.get(name)])),
  readFile: (path) => Deno.readTextFile(path),
  serve,
  // Deno's fetch always decodes gzip/br bodies: the core then drops the encoding headers.
  // Idle keep-alive connections to backends close after 4 s, as undici's on Node (Deno's own default is 90 s).
  transport: () => fetchTransport({ decodesBodies: true, init: { client: Deno.createHttpClient({ poolIdleTimeout: UPSTREAM_IDLE_MS }) } }),
  clientIp: (c) => getConnInfo(c).remote.address ?? '',
  digest: nodeDigest,
  hmac: nodeHmac,
  stdout: (line) => void Deno.stdout.writeSync(encoder.encode(`${line}\n`)),
  stderr: (line) => void Deno.stderr.writeSync(encoder.encode(`${line}\n`)),
  exit: (code) => Deno.exit(code),
  onStopSignal: (handler) => {
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
};
