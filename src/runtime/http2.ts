/**
 * HTTP/2 on Node's TLS listener (node:http2's secure server with HTTP/1.1
 * fallback by ALPN): the listener limits for both protocols, and responses
 * an HTTP/2 stream can carry.
 */
import type { Http2SecureServer, Http2Session } from 'node:http2';
import type { ListenLimits } from '../config/types.ts';
import { stripHopByHop } from '../core/forward.ts';
import { ConnectionTable, sweepEveryMs } from './limits.ts';
import type { FetchHandler } from './types.ts';

/** Streams a client may have open at once on one HTTP/2 connection (nginx's `http2_max_concurrent_streams`). */
export const MAX_CONCURRENT_STREAMS = 128;

/** node:http2's options for a secure server that also serves HTTP/1.1 clients (ALPN `h2`, then `http/1.1`). */
export const http2ServerOptions = { allowHTTP1: true, settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } } as const;

/**
 * Applies `limits` to an HTTP/2 secure server, before it listens.
 * HTTP/1.1 connections get what node:http gives them (its options are not
 * read by node:http2, so they are set here): the head within
 * `headerTimeoutMs`, `idleTimeoutMs` between requests. An HTTP/2 connection
 * is closed (GOAWAY, then the socket) once it has had no stream open for
 * `headerTimeoutMs` since it opened, or for `idleTimeoutMs` since its last
 * stream ended; a stream open, however quiet, keeps it (`maxConnections`,
 * the server's own, counts sockets of both kinds). `closeSessions` closes every HTTP/2
 * connection gracefully: open streams finish, no new ones start.
 */
export function limitHttp2Server(server: Http2SecureServer, limits: ListenLimits): { closeSessions(): void } {
  const http1 = server as unknown as { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number };
  http1.headersTimeout = limits.headerTimeoutMs;
  http1.requestTimeout = 0;
  http1.keepAliveTimeout = limits.idleTimeoutMs;
  http1.connectionsCheckingInterval = sweepEveryMs(limits);

  const table = new ConnectionTable(limits);
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    const c = table.add(performance.now(), () => session.close());
    if (!c) return session.destroy();
    sessions.add(session);
    session.on('stream', (stream) => {
      table.started(c);
      stream.once('close', () => table.finished(c, performance.now()));
    });
    session.once('close', () => {
      table.remove(c);
      sessions.delete(session);
    });
  });
  const sweep = setInterval(() => table.sweep(performance.now()), sweepEveryMs(limits));
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
  return {
    closeSessions: () => {
      for (const s of sessions) s.close();
    },
  };
}

/** Response headers HTTP/2 forbids (RFC 9113 §8.2.2); node:http2 throws on them, ending the process. */
const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

/** Whether `env` (@hono/node-server's `{incoming}`) is a request that came in over HTTP/2. */
const overHttp2 = (env: unknown) => (env as { incoming?: { httpVersionMajor?: number } } | undefined)?.incoming?.httpVersionMajor === 2;

/** `response` itself when an HTTP/2 stream can carry its headers, else a copy without the connection-specific ones. */
export function http2Response(response: Response): Response {
  if (!CONNECTION_SPECIFIC.some((name) => response.headers.has(name)) && !response.headers.has('te') && !response.headers.has('trailer')) return response;
  const headers = stripHopByHop(new Headers(response.headers));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** `handler` whose responses to HTTP/2 requests carry no connection-specific header (the proxy strips a backend's; this covers every other). */
export function http2SafeResponses(handler: FetchHandler): FetchHandler {
  return (request, env) => {
    const r = handler(request, env);
    if (!overHttp2(env)) return r;
    return r instanceof Promise ? r.then(http2Response) : http2Response(r);
  };
}
