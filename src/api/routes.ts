import { Hono } from 'hono/tiny';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { DEFAULT_SERVICE } from '../config/service-name.ts';
import type { Balancer, BalancerRound } from '../core/balancer.ts';
import { servedBy } from '../core/respond.ts';
import type { HealthRecord } from '../core/types.ts';
import { VERSION } from '../version.ts';
import { refuseCrossSiteWrites, requireWriteAccess } from './auth.ts';
import { limitAdminBody, problem } from './body.ts';
import { renderMetrics } from './metrics.ts';
import { docsAt, withPrefix } from './openapi-prefix.ts';
import { serverRoutes } from './servers.ts';
import { serviceRoutes } from './services.ts';
import { v1Routes } from './v1.ts';

export interface ApiOptions {
  balancer: Balancer;
  token?: string;
  clientIp: (c: Context) => string;
  now?: () => number;
  /** Refuse writes unless a token is set (at the edge, where loopback means nothing). */
  tokenRequired?: boolean;
  /** Fields merged into `/api/stats` (the edge adds fleet totals and their freshness). */
  extraStats?: () => Promise<Record<string, unknown>>;
  /** The mount point, as the OpenAPI document names paths. */
  prefix?: string;
  /** Browser origins allowed to call the API (`*`: any). */
  corsOrigins?: string[];
  /** Where `POST /health-check` runs its round (the Durable Object at the edge); default: here. */
  runRound?: () => Promise<BalancerRound>;
  /** The dashboard page (each entry serves the generated file its own way). */
  dashboard?: () => Promise<Response>;
  /** The OpenAPI document, paths relative to the prefix (each entry serves the generated file its own way); none: 404. */
  openApi?: () => Promise<Record<string, unknown>>;
  /** The generated docs page, the prefix as `PREFIX_TOKEN` (each entry serves the file its own way); none: 404. */
  docs?: () => Promise<string>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const checkView = (r: HealthRecord) => ({ status: r.status, last_check: r.last_check ? { ...r.last_check, at: iso(r.last_check.at) } : null });

/** A health round as `POST /health-check` answers it: the default service's servers as before, every service's under `services`. */
function roundView(round: BalancerRound) {
  const view = (servers: Record<string, HealthRecord>) => Object.fromEntries(Object.entries(servers).map(([id, r]) => [id, checkView(r)]));
  return {
    checked_at: iso(round.at),
    checked: round.checked.map((x) => servedBy(x.service, x.server)),
    changed: round.changed,
    transitions: round.transitions.map((t) => ({ ...t, at: iso(t.at) })),
    servers: view(round.services[DEFAULT_SERVICE] ?? {}),
    services: Object.fromEntries(Object.entries(round.services).map(([name, servers]) => [name, view(servers)])),
  };
}

/** The admin and stats routes, mounted under the admin prefix (`/api` by default). */
export function apiRoutes(options: ApiOptions): Hono {
  const { balancer } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const api = new Hono();
  if (options.corsOrigins?.length) {
    const origins = options.corsOrigins;
    api.use('*', cors({ origin: origins.includes('*') ? '*' : origins, allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], maxAge: 600 }));
  }
  api.use('*', refuseCrossSiteWrites(options.corsOrigins ?? []));
  api.use('*', requireWriteAccess(options.token, options.clientIp, options.tokenRequired));
  api.use('*', limitAdminBody());

  api.get('/stats', async (c) => c.json({ ...(await balancer.status()), ...(await options.extraStats?.()) }));

  api.get('/metrics', async (c) =>
    c.body(await renderMetrics(balancer), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );

  // Read once; a failed read is tried again on the next request.
  let doc: Promise<Record<string, unknown>> | undefined;
  const document = () => {
    const load = options.openApi;
    if (!load) return undefined;
    doc ??= load()
      .then((d) => withPrefix(d, options.prefix ?? '/api'))
      .catch((e) => {
        doc = undefined;
        throw e;
      });
    return doc;
  };
  const noDocument = (c: Context) => problem(c, 404, 'not-found', 'Not found', 'This instance serves no API description.');
  api.get('/openapi.json', async (c) => {
    const d = document();
    return d ? c.json(await d) : noDocument(c);
  });
  api.get('/dashboard', async (c) =>
    options.dashboard
      ? options.dashboard()
      : problem(c, 404, 'not-found', 'Not found', 'This instance serves no dashboard.'),
  );
  let docs: Promise<string> | undefined;
  api.get('/docs', async (c) => {
    const load = options.docs;
    if (!load) return noDocument(c);
    docs ??= load()
      .then((page) => docsAt(page, options.prefix ?? '/api'))
      .catch((e) => {
        docs = undefined;
        throw e;
      });
    return c.html(await docs);
  });

  api.get('/health', (c) => c.json({ status: 'healthy', uptime: Math.round((now() - started) / 1000), version: VERSION }));

  serverRoutes(api, '/servers', balancer, now);
  serverRoutes(api, '/services/:service/servers', balancer, now);
  serviceRoutes(api, balancer, now);

  const round = async () => roundView(await (options.runRound ? options.runRound() : balancer.tick(true)));
  const stats = async () => ({ ...(await balancer.status()), ...(await options.extraStats?.()) });
  api.post('/health-check', async (c) => c.json(await round()));
  v1Routes(api, balancer, now, round, stats);

  api.all('*', (c) =>
    problem(c, 404, 'not-found', 'Not found', `No admin route ${c.req.method} ${c.req.path}. See ${options.prefix ?? '/api'}/docs for every route.`),
  );
  return api;
}
