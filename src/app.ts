import { Hono } from 'hono/tiny';
import type { Context } from 'hono';
import { getPath } from 'hono/utils/url';
import type { Digest } from './policies/types.ts';
import type { Hmac } from './core/types.ts';
import type { UpgradeInfo, WebSocketUpgrader } from './core/websocket.ts';
import type { Compress } from './core/compress.ts';
import { refuseForeignHosts } from './api/auth.ts';
import { apiRoutes } from './api/routes.ts';
import { createBalancer, type Balancer, type BalancerRound } from './core/balancer.ts';
import { createLogger, type Logger } from './core/log.ts';
import { normalizeUrl, requestAt } from './core/path.ts';
import { badRequest, problemResponse } from './core/problems.ts';
import type { Config } from './config/types.ts';
import { createStore } from './storage/registry.ts';
import type { StateStore } from './storage/types.ts';
import type { Transport } from './transport/types.ts';
import type { HealthProbe } from './health/probe.ts';
import type { RateLimitBindings } from './traffic/types.ts';

/** What an entry injects: everything that differs between runtimes. */
export interface Platform {
  config: Config;
  transport: Transport;
  /** The client's address for this request, from the runtime's connection info. */
  clientIp(c: Context): string;
  /** `waitUntil` for background work tied to a request (Workers). */
  waitUntil?(c: Context): ((p: Promise<unknown>) => void) | undefined;
  store?: StateStore;
  probe?: HealthProbe;
  log?: Logger;
  now?: () => number;
  random?: () => number;
  /** MD5/SHA-1 for `consistent_hash.hash_function` (the entries pass `node:crypto`'s). */
  digest?: Digest;
  /** HMAC-SHA-256 for sticky-session tokens (the entries pass `node:crypto`'s); needed when `sticky` is on. */
  hmac?: Hmac;
  snapshotTtlMs?: number;
  /** Refuse admin writes unless a token is set (Workers). */
  tokenRequired?: boolean;
  /** Fields merged into `/api/stats`. */
  extraStats?: () => Promise<Record<string, unknown>>;
  /** Where `POST /api/health-check` runs its round (default: in this instance). */
  runRound?: () => Promise<BalancerRound>;
  /** The dashboard page, `src/dashboard/public/dashboard.html` as the entry serves it (none: 404). */
  dashboard?: () => Promise<Response>;
  /** The OpenAPI document, `src/dashboard/public/openapi.json` (paths relative to the admin prefix) as the entry reads it (none: 404). */
  openApi?: () => Promise<Record<string, unknown>>;
  /** The docs page, `src/dashboard/public/docs.html` (the prefix as a token) as the entry reads it (none: 404). */
  docs?: () => Promise<string>;
  /** What rate limits with store `edge` or `durable_object` count in (Workers bindings); none elsewhere. */
  rateLimitBindings?: RateLimitBindings;
  /** Opens WebSockets for this request; default: the `webSocketUpgrade` the runtime's server puts on its env (Node, Bun, Deno); none: an upgrade gets 501. */
  upgrade?(c: Context): WebSocketUpgrader | undefined;
  /** Compressing streams that flush every chunk, for `compression` (Node, Bun and Deno: node:zlib); none: responses are never compressed (Workers: Cloudflare's edge compresses). */
  compress?: Compress;
}

/**
 * The whole balancer as one Hono app: the admin API under `config.admin.prefix`,
 * the balancer's own `/health`, and every other request proxied. Every request
 * is routed and forwarded by one normalised path (`normalizePath`: repeated
 * slashes merged, dot segments resolved), or refused with 400. With no admin
 * token (and none required), the admin API answers only for its own host names.
 */
export function createApp(platform: Platform): { app: Hono; balancer: Balancer } {
  const { config } = platform;
  const log = platform.log ?? createLogger(config.logLevel);
  const balancer = createBalancer({
    config,
    store: platform.store ?? createStore('memory'),
    transport: platform.transport,
    probe: platform.probe,
    log,
    now: platform.now,
    random: platform.random,
    digest: platform.digest,
    hmac: platform.hmac,
    snapshotTtlMs: platform.snapshotTtlMs,
    rateLimitBindings: platform.rateLimitBindings,
    compress: platform.compress,
  });
  // The normalised URL of each request whose path the client spelled otherwise (set in `fetch` below):
  // Hono routes by it, and the balancer gets the request at it. The request object itself stays the
  // runtime's own, which its connection info (the client address) is looked up by.
  const normalised = new WeakMap<Request, string>();
  const app = new Hono({
    getPath: (request) => {
      const url = normalised.get(request);
      return getPath(url === undefined ? request : ({ url } as Request));
    },
  });
  const forwarded = (c: Context) => {
    const url = normalised.get(c.req.raw);
    return url === undefined ? c.req.raw : requestAt(c.req.raw, url);
  };
  app.onError((error, c) => {
    log.error('unhandled error', { path: c.req.path, error: String(error) });
    return problemResponse({ type: 'urn:switchyard:problem:internal', title: 'Internal error', status: 500, detail: 'The balancer failed to handle this request; see its log.', instance: c.req.path });
  });

  const prefix = config.admin.prefix.replace(/\/+$/, '');
  const upgradeOf = platform.upgrade ?? ((c: Context) => (c.env as { webSocketUpgrade?: WebSocketUpgrader } | undefined)?.webSocketUpgrade);
  const info = (c: Context): UpgradeInfo => ({ clientIp: platform.clientIp(c), waitUntil: platform.waitUntil?.(c), upgrade: upgradeOf(c) });

  // Seed 003's gateway: every method on PREFIX/v1/proxy/{image_id}/{path} reaches that service with
  // /{path} and the query. It is traffic, not administration: outside the admin API and its write rules.
  const proxyBase = `${prefix}/v1/proxy/`;
  const viaGateway = (c: Context) => {
    const url = new URL(normalised.get(c.req.raw) ?? c.req.url);
    const rest = url.pathname.slice(proxyBase.length);
    const slash = rest.indexOf('/');
    const name = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
    const path = (slash < 0 ? '/' : rest.slice(slash)) + url.search;
    return (
      balancer.fetchService(name, forwarded(c), info(c), path) ??
      problemResponse({ type: 'urn:switchyard:problem:no-service', title: 'No such service', status: 404, detail: `No service ${JSON.stringify(name)} is registered.`, instance: url.pathname })
    );
  };
  app.all(`${proxyBase}:image_id`, viaGateway);
  app.all(`${proxyBase}:image_id/*`, viaGateway);

  // DNS rebinding: with no token, a page on a name pointed at 127.0.0.1 would otherwise read and
  // (from loopback) write here. At the edge a token is required for writes, and the platform only
  // delivers requests for the Worker's own host names.
  if (!config.admin.token && !platform.tokenRequired) {
    const guard = refuseForeignHosts(config.host, config.admin.allowedHosts);
    app.use(prefix, guard);
    app.use(`${prefix}/*`, guard);
  }

  app.route(
    prefix,
    apiRoutes({
      balancer,
      token: config.admin.token,
      clientIp: platform.clientIp,
      now: platform.now,
      tokenRequired: platform.tokenRequired,
      extraStats: platform.extraStats,
      runRound: platform.runRound,
      dashboard: platform.dashboard,
      openApi: platform.openApi,
      docs: platform.docs,
      prefix,
      corsOrigins: config.corsOrigins,
    }),
  );

  app.get('/health', async (c) => {
    const s = await balancer.status();
    const status = s.healthy_servers === 0 ? 'unhealthy' : s.healthy_servers < s.total_servers ? 'degraded' : 'healthy';
    return c.json({ status, healthy_servers: s.healthy_servers, total_servers: s.total_servers, uptime: s.uptime }, s.healthy_servers ? 200 : 503);
  });

  app.all('*', (c) => balancer.fetch(forwarded(c), info(c)));

  const route = app.fetch;
  app.fetch = (request, ...rest) => {
    const n = normalizeUrl(request.url);
    if (!n.ok) return problemResponse(badRequest(`The request path is refused: ${n.reason}.`, [`(path): ${JSON.stringify(n.path)}`]));
    if (n.url !== request.url) normalised.set(request, n.url);
    return route(request, ...rest);
  };
  return { app, balancer };
}
