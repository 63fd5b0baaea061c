/**
 * WebSockets through the balancer, on web standards: which upgrades are
 * WebSockets, and the core entry that places one on a server at upgrade time
 * (the route's service, its policy, sticky sessions, health, drain and the
 * circuit, as for requests) and hands the runtime what it needs to open the
 * socket to it. How bytes or frames then cross is the runtime's
 * (src/runtime/websocket-*.ts); each open socket counts in its server's
 * flight (least_connections, max_conns, `active_connections`) and in
 * `open_websockets`.
 */
import type { PoolSettings } from '../config/types.ts';
import type { WebSocketSettings } from '../config/websocket-schema.ts';
import { chooseServer } from './choose.ts';
import { upstreamHeaders } from './forward.ts';
import type { Guards } from './guards.ts';
import type { Logger } from './log.ts';
import type { Pool } from './pool.ts';
import { badRequest, noServer, problemResponse, upstreamFailed, type AttemptReport } from './problems.ts';
import type { RuntimeTable } from './records.ts';
import type { RequestDone } from './respond.ts';
import type { Totals } from './stats.ts';
import { readSticky, type StickyTokens } from './sticky.ts';
import { type Backend, type RequestInfo, UpstreamError } from './types.ts';
import type { OpenSockets, SocketHandle } from './websocket-sockets.ts';

/** Whether a request asks to become a WebSocket: its `Upgrade` names `websocket` (a bad handshake is then refused, never proxied). */
export function wantsWebSocket(headers: Headers): boolean {
  const up = headers.get('upgrade');
  return up !== null && /(^|,)\s*websocket\s*(,|$)/i.test(up);
}

/** The header lists of `value` as lower-case tokens. */
const tokens = (value: string | null) => (value ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);

/** What is wrong with a WebSocket opening handshake (RFC 6455 §4.2.1), or null. */
export function handshakeProblem(method: string, headers: Headers): string | null {
  if (method !== 'GET') return `method: ${JSON.stringify(method)} (a WebSocket opens with GET)`;
  if (!tokens(headers.get('connection')).includes('upgrade')) return `connection: ${JSON.stringify(headers.get('connection'))} (must name Upgrade)`;
  const key = headers.get('sec-websocket-key');
  if (key === null || !/^[A-Za-z0-9+/]{22}==$/.test(key.trim())) return `sec-websocket-key: ${JSON.stringify(key)} (must be 16 bytes in base64)`;
  const version = headers.get('sec-websocket-version');
  if (version?.trim() !== '13') return `sec-websocket-version: ${JSON.stringify(version)} (must be 13)`;
  return null;
}

/** The subprotocols a client offers, in its order. */
export function offeredProtocols(headers: Headers): string[] {
  return (headers.get('sec-websocket-protocol') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
}

/** The life of one socket as the balancer counts it; the runtime calls these. */
export interface SocketSession {
  /** The socket is open both ways (the backend answered 101): it counts from here until `closed`. Call at most once, before the upgrade's promise settles. */
  opened(handle: SocketHandle): void;
  /** The socket has ended, on either side (call once, after `opened`). */
  closed(): void;
}

/** What the runtime gets to open one socket to the chosen server. */
export interface WebSocketTarget {
  backend: Backend;
  /** The server's `ws:` or `wss:` URL with the request's path and query (a stripped route prefix applied). */
  url: string;
  /**
   * The headers for the backend, as for a plain request (hop-by-hop removed,
   * X-Forwarded-* added, no Host), with `Connection: Upgrade`, `Upgrade:
   * websocket` and the client's `Sec-WebSocket-*` kept.
   */
  headers: Headers;
  /** The subprotocols the client offered, in order. */
  protocols: string[];
  settings: WebSocketSettings;
  session: SocketSession;
}

/**
 * Opens one socket to `target` and answers the client: the runtime's
 * switch-protocols response once the socket is open (`session.opened`
 * called), or the backend's own non-101 answer to pass on. Rejects with an
 * `UpstreamError` when the backend could not be reached (`connect`: the
 * next server is tried).
 */
export type WebSocketUpgrader = (request: Request, target: WebSocketTarget) => Promise<Response>;

/** A request's info where the runtime can serve WebSockets. */
export interface UpgradeInfo extends RequestInfo {
  upgrade?: WebSocketUpgrader;
}

export interface UpgradeDeps {
  config: PoolSettings;
  service: string;
  records: RuntimeTable;
  guards: Guards;
  sockets: OpenSockets;
  totals: Totals;
  log: Logger;
  now: () => number;
  pool: (now: number) => Pool;
  tokens: () => StickyTokens | undefined;
  onDone?: (entry: RequestDone) => void;
}

/**
 * An upgrader for a runtime whose `fetch` makes the upgrade itself (Workers:
 * `Upgrade: websocket` answers a 101 Response with `.webSocket`): the
 * backend's answer goes to the client unchanged. The socket is then the
 * runtime's: it is not seen, so it is not counted as open.
 */
export function fetchUpgrader(fetchFn: (url: string, init: RequestInit) => Promise<Response>): WebSocketUpgrader {
  return async (_request, target) => {
    try {
      return await fetchFn(target.url.replace(/^ws/, 'http'), { headers: target.headers });
    } catch (e) {
      throw new UpstreamError('connect', String(e), { cause: e });
    }
  };
}

/** The backend URL of `path` on `b` in WebSocket's scheme. */
export function socketUrl(b: Backend, path: string): string {
  return b.url.replace(/^http/, 'ws') + path;
}

/**
 * The core entry of an upgrade: a bad handshake gets 400; else a server is
 * chosen as for a request (the session's own server first; not drained,
 * healthy, its circuit closed, below max_conns) and entered into flight, and
 * the runtime opens the socket to it. A backend that cannot be reached is
 * left for the next untried one (up to `retries` more); none left: 502, none
 * at all: 503. `info.settled` is called when the socket closes (a limit's
 * place is held while it is open), or at once when none opened.
 */
export function createUpgrade(d: UpgradeDeps): (request: Request, info: UpgradeInfo, path?: string) => Promise<Response> {
  return async (request, info, path) => {
    const startedAt = d.now();
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refuse(request, info, startedAt, problemResponse(badRequest('The request target or Host header is not valid.', [`(url): ${JSON.stringify(request.url)}`])));
    }
    const problem = handshakeProblem(request.method, request.headers);
    if (problem) return refuse(request, info, startedAt, problemResponse(badRequest('The WebSocket handshake is not valid.', [problem], url.pathname), { 'sec-websocket-version': '13' }));
    if (!info.upgrade) {
      return refuse(request, info, startedAt, problemResponse({ type: 'urn:switchyard:problem:websocket-unsupported', title: 'WebSockets not served', status: 501, detail: 'This runtime entry does not serve WebSockets here (the README\'s runtime table says where they are served).', instance: url.pathname }));
    }
    const headers = upstreamHeaders(request.headers, { clientIp: info.clientIp, proto: url.protocol.slice(0, -1), host: request.headers.get('host') ?? url.host });
    headers.set('connection', 'Upgrade');
    headers.set('upgrade', 'websocket');
    const target = path ?? url.pathname + url.search;
    const sticky = d.config.sticky ? readSticky(request.headers.get('cookie'), d.config.sticky.cookie) : null;
    const tried = new Set<string>();
    const attempts: AttemptReport[] = [];
    for (let n = 0; n <= d.config.retries; n++) {
      const t = d.now();
      const pool = d.pool(t);
      const backend = chooseServer({ pool, pick: { request, url, clientIp: info.clientIp }, tried, panic: d.guards.panicking(pool.backends), sticky, tokens: d.tokens() }, d.guards, d.records, t);
      if (!backend) break;
      tried.add(backend.id);
      const record = d.records.get(backend.id);
      record.enter();
      record.requests++;
      let open = false;
      let forget: (() => void) | undefined;
      const session: SocketSession = {
        opened: (handle) => {
          if (open) return;
          open = true;
          record.openWebSockets++;
          forget = d.sockets.add(backend.id, handle);
        },
        closed: () => {
          if (!open) return;
          open = false;
          record.openWebSockets--;
          forget?.();
          record.leave();
          info.settled?.();
        },
      };
      const t0 = d.now();
      try {
        const res = await info.upgrade(request, { backend, url: socketUrl(backend, target), headers: new Headers(headers), protocols: offeredProtocols(request.headers), settings: d.config.websocket, session });
        record.sampleLatency(d.now() - t0, d.now());
        record.observeStatus(open ? 101 : res.status);
        d.totals.count(open || res.status < 500, d.now());
        if (!open) {
          record.leave();
          info.settled?.();
        }
        d.onDone?.({ request, clientIp: info.clientIp, service: d.service, status: open ? 101 : res.status, server: backend.id, attempts: attempts.length + 1, startedAt, durationMs: d.now() - startedAt, bytes: 0 });
        return res;
      } catch (e) {
        if (open) session.closed();
        else record.leave();
        record.errors++;
        const message = e instanceof UpstreamError ? `${e.kind}: ${e.message}` : String(e);
        record.lastError = { at: d.now(), message };
        attempts.push({ server: backend.id, error: message, duration_ms: d.now() - t0 });
        d.log.info('websocket upgrade failed', { service: d.service, server: backend.id, error: message });
        if (!(e instanceof UpstreamError && e.kind === 'connect')) break;
      }
    }
    const pool = d.pool(d.now());
    const res = attempts.length
      ? problemResponse(upstreamFailed(url.pathname, attempts))
      : problemResponse(noServer(url.pathname, pool.backends.length, 'none is available'));
    d.totals.answered(res.status);
    return refuse(request, info, startedAt, res, attempts.length);
  };

  function refuse(request: Request, info: RequestInfo, startedAt: number, res: Response, attempts = 0): Response {
    d.totals.count(res.status < 500, d.now());
    info.settled?.();
    d.onDone?.({ request, clientIp: info.clientIp, service: d.service, status: res.status, server: null, attempts, startedAt, durationMs: d.now() - startedAt, bytes: Number(res.headers.get('content-length') ?? 0) });
    return res;
  }
}
