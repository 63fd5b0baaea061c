/** Deno: served by Deno.serve, backends reached through Deno's fetch. */
import { getConnInfo } from 'hono/deno';
import type { ListenLimits } from '../config/types.ts';
import { ENV_VARS } from '../config/load.ts';
import { guardRequests, type Handler } from '../core/request-guards.ts';
import { fetchTransport } from '../transport/fetch.ts';
import { wantsWebSocket } from '../core/websocket.ts';
import { denoUpgrader } from './websocket-deno.ts';
import type { CaBundles } from '../transport/types.ts';
import type { BackendTls, TlsLimits } from '../config/backend-tls.ts';
import { zlibCompression } from './compress.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import { ConnectionTable, DEFAULT_LIMITS, sweepEveryMs } from './limits.ts';
import { pickCertificate, withScheme, type TlsMaterial } from './tls.ts';
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
  createHttpClient(options: { poolIdleTimeout?: number | false; caCerts?: string[] }): unknown;
  exit(code: number): never;
  addSignalListener(signal: string, handler: () => void): void;
  stdout: { writeSync(b: Uint8Array): number; write(b: Uint8Array): Promise<number> };
  stderr: { writeSync(b: Uint8Array): number };
  serve(options: { hostname: string; port: number; cert?: string; key?: string; onListen?: (addr: { port: number }) => void }, handler: (req: Request, info: unknown) => Response | Promise<Response>): DenoServer;
  listen(options: { hostname: string; port: number }): DenoListener;
  listenTls(options: { hostname: string; port: number; cert?: string; key?: string; alpnProtocols?: string[]; [resolver: symbol]: unknown }): DenoListener;
  internal?: symbol;
  upgradeWebSocket(req: Request, options: { protocol?: string; idleTimeout?: number }): { socket: WebSocket; response: Response };
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
const encoder = new TextEncoder();
/** How long an idle connection to a backend stays open for reuse. */
const UPSTREAM_IDLE_MS = 4_000;
/** Certificates by server name, per TLS listener: Deno asks once per name a listener sees and keeps the answer. */
type SniResolver = (serverName: string) => Promise<{ cert: string; key: string }>;
const internals = Deno.internal
  ? (Deno as unknown as Record<symbol, { serveHttpOnConnection?: ServeOnConnection; resolverSymbol?: symbol } | undefined>)[Deno.internal]
  : undefined;
/** A listener: opened on `port` (0: any free one). */
type Listen = (port: number) => DenoListener;

/**
 * Serves `handler` with Deno's HTTP server; its env is Deno's serve info (`remoteAddr`, as Hono's
 * getConnInfo expects). Port 0 picks a free port. Deno.serve keeps no timers and no connection
 * count, so this listener accepts the connections itself and serves each with Deno.serve's own
 * machinery: past `maxConnections` a new one is closed at once; one whose first request head has
 * not arrived within `headerTimeoutMs`, or that has idled `idleTimeoutMs` with nothing in flight
 * since its last response, is closed. Where that machinery is missing, plain Deno.serve serves
 * without those limits.
 *
 * With `tls` the listener is Deno.listenTls, certificates chosen by SNI through Deno's own resolver
 * hook (what its node:tls SNICallback uses; not a public API). Deno keeps a listener's answer per
 * server name, so `reloadTls` closes the listener and opens another on the same port with the new
 * certificates (as soon as Deno frees the port, within milliseconds): open connections are served
 * on; a connection arriving in between is refused (SO_REUSEPORT would close that gap, but Deno allows it only with --unstable-net). Without that machinery,
 * Deno.serve's `cert`/`key` serve the first certificate only, and cannot be swapped. A TLS client
 * that never sends its handshake keeps its socket until it goes away: Deno 2.9.5 neither times the
 * handshake out nor closes a TLS socket mid-handshake (header_timeout closes the rest).
 * The TLS listener offers `h2` by ALPN when `tls.http2` holds (then `http/1.1`, else that alone) and Deno's
 * server speaks what the client picked; the limits count an HTTP/2 connection as one, its streams as its
 * requests. Plain Deno.serve (the fallback) always offers `h2`.
 * WebSockets (websocket-deno.ts) are served only by plain Deno.serve: Deno 2.9.5's per-connection server
 * closes an upgraded socket the moment its HTTP serving ends (serveHttpOn's non-graceful op_http_close), so
 * where the limits apply an upgrade gets the core's 501.
 */
export const serve: ServeFn = async (handler, options) => {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const { hostname, tls } = options;
  const scheme = tls ? 'https' : 'http';
  // The listener says the scheme: Deno takes an absolute-form target's (`GET http://x/` over TLS) as it is.
  const serveOn = internals?.serveHttpOnConnection;
  // WebSockets only on plain Deno.serve: the per-connection server closes an upgraded socket as soon as its HTTP serving ends (Deno 2.9.5).
  const sockets = typeof serveOn !== 'function';
  const guarded = guardRequests<unknown>((req, info) => handler(withScheme(req, scheme), sockets ? withWebSocket(req, info) : info), { maxBodyBytes: limits.maxBodyBytes });
  if (typeof serveOn !== 'function') {
    const pem = tls ? { cert: tls.certificates[0].cert, key: tls.certificates[0].key } : {};
    const server = Deno.serve({ hostname, port: options.port, ...pem, onListen: () => {} }, (req, info) => guarded(req, info));
    return { hostname, port: server.addr.port, close: () => server.shutdown() };
  }
  if (!tls) return serveWithLimits(serveOn, guarded, (port) => Deno.listen({ hostname, port }), hostname, options.port, limits);
  const served = serveWithLimits(serveOn, guarded, listenTls(hostname, tls), hostname, options.port, limits);
  let current = tls;
  const reloadTls = async (material: TlsMaterial) => {
    try {
      await served.swap(listenTls(hostname, material));
      current = material;
    } catch (e) {
      // The port is not ours any more than it was: listen again as before, and say why the new ones were not taken.
      await served.swap(listenTls(hostname, current));
      throw e;
    }
  };
  return { ...served, reloadTls };
};

/** What a TLS listener offers by ALPN: Deno's HTTP server then speaks the protocol the client picked. */
const alpnFor = (material: TlsMaterial) => (material.http2 ? ['h2', 'http/1.1'] : ['http/1.1']);

/** Opens TLS listeners serving `material`: by SNI where Deno's resolver hook exists, else the first certificate. */
function listenTls(hostname: string, material: TlsMaterial): Listen {
  const symbol = internals?.resolverSymbol;
  const first = material.certificates[0];
  const resolve: SniResolver = async (name) => material.certificates[pickCertificate(material.certificates, name)];
  const keys = typeof symbol === 'symbol' ? { [symbol]: resolve } : { cert: first.cert, key: first.key };
  return (port) => Deno.listenTls({ hostname, port, ...keys, alpnProtocols: alpnFor(material) });
}

/** How long a listener's port may take to come free after its close (Deno frees it once its pending accept ends). */
const REOPEN_WITHIN_MS = 2_000;

/** `listen(port)` once the port is free again: a port still in use is tried again, a little later each time, for `REOPEN_WITHIN_MS`. */
async function reopen(listen: Listen, port: number): Promise<DenoListener> {
  const t0 = performance.now();
  for (let waitMs = 0; ; waitMs = Math.min(100, waitMs * 2 || 1)) {
    try {
      return listen(port);
    } catch (e) {
      if ((e as Error).name !== 'AddrInUse' || performance.now() - t0 > REOPEN_WITHIN_MS) throw e;
    }
    await new Promise((r) => setTimeout(r, waitMs));
  }
}

/** A WebSocket upgrade's info carries its upgrader (the request as Deno handed it over, which Deno.upgradeWebSocket needs). */
const withWebSocket = (req: Request, info: unknown) =>
  wantsWebSocket(req.headers) ? { remoteAddr: (info as { remoteAddr?: unknown }).remoteAddr, webSocketUpgrade: denoUpgrader((r, o) => Deno.upgradeWebSocket(r, o), req) } : info;

const internalError = () => new Response('Internal Server Error', { status: 500 });

function serveWithLimits(serveOn: ServeOnConnection, handler: Handler, listen: Listen, hostname: string, port: number, limits: ListenLimits): Served & { swap(next: Listen): Promise<void> } {
  let listener = listen(port);
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

  const acceptFrom = async (l: DenoListener) => {
    while (!closing && l === listener) {
      let conn: DenoConn;
      try {
        conn = await l.accept();
      } catch {
        if (closing || l !== listener) return;
        // Out of descriptors or a connection reset before it was accepted: keep listening.
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      accept(conn);
    }
  };
  const loops = [acceptFrom(listener)];

  return {
    hostname,
    port: listener.addr.port,
    swap: async (next) => {
      const old = listener;
      const at = old.addr.port;
      try {
        old.close();
      } catch {
        // Already closed by a swap that failed half way.
      }
      listener = await reopen(next, at);
      loops.push(acceptFrom(listener));
    },
    close: async () => {
      closing = true;
      listener.close();
      await Promise.all(loops);
      // As Deno.serve's shutdown: no new connections, in-flight requests finish.
      await Promise.all([...servers].map((s) => s.shutdown().catch(() => {})));
      clearInterval(sweep);
    },
  };
}

/** What Deno 2.9.5's fetch cannot do for a backend: `Deno.createHttpClient` takes CAs, but no server name and no way to skip verification. */
const DENO_TLS_LIMITS: TlsLimits = {
  server_name: "Deno's fetch cannot set the name a certificate is checked against (Deno.createHttpClient has no such option): give the server's URL by that name, or run on Node or Bun",
  insecure_skip_verify: "Deno's fetch cannot skip certificate checks per server (only deno run --unsafely-ignore-certificate-errors=HOST, for the whole process): trust the server's certificate with tls.ca_file instead, or run on Node or Bun",
};

/**
 * Deno's fetch init for a backend's settings: a client trusting `ca_file`'s CAs (Deno adds them
 * to its default roots rather than replacing them). What Deno cannot do is refused, per DENO_TLS_LIMITS.
 */
function denoTlsInit(tls: BackendTls, cas: CaBundles | undefined): Record<string, unknown> | { refused: string } {
  if (tls.serverName) return { refused: DENO_TLS_LIMITS.server_name! };
  if (tls.insecureSkipVerify) return { refused: DENO_TLS_LIMITS.insecure_skip_verify! };
  const ca = tls.caFile === undefined ? undefined : cas?.get(tls.caFile);
  if (ca === undefined) return { refused: `tls.ca_file ${JSON.stringify(tls.caFile)} was not read at start` };
  return { client: Deno.createHttpClient({ poolIdleTimeout: UPSTREAM_IDLE_MS, caCerts: [ca] }) };
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
  transport: (cas) => fetchTransport({ decodesBodies: true, init: { client: Deno.createHttpClient({ poolIdleTimeout: UPSTREAM_IDLE_MS }) }, tlsInit: (tls) => denoTlsInit(tls, cas) }),
  backendTlsLimits: DENO_TLS_LIMITS,
  clientIp: (c) => getConnInfo(c).remote.address ?? '',
  digest: nodeDigest,
  hmac: nodeHmac,
  compress: zlibCompression,
  stdout: (line) => void Deno.stdout.writeSync(encoder.encode(`${line}\n`)),
  // Asynchronous, so a slow reader of stdout holds back the log, not the requests.
  stdoutBatch: async (chunk) => {
    const bytes = encoder.encode(chunk);
    for (let at = 0; at < bytes.length; ) at += await Deno.stdout.write(bytes.subarray(at));
  },
  stderr: (line) => void Deno.stderr.writeSync(encoder.encode(`${line}\n`)),
  exit: (code) => Deno.exit(code),
  onStopSignal: (handler) => {
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
  onReloadSignal: (handler) => Deno.addSignalListener('SIGHUP', handler),
};
