import { Hono } from 'hono/tiny';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import * as v from 'valibot';
import type { Balancer } from '../core/balancer.ts';
import type { RoundResult } from '../health/round.ts';
import { backendFromSpec } from '../core/pool.ts';
import { ServerSpecError, serverSpec } from '../config/server.ts';
import { badRequest, problemResponse } from '../core/problems.ts';
import { ConflictError, NotFoundError } from '../core/state.ts';
import type { BackendSpec } from '../core/types.ts';
import { VERSION } from '../version.ts';
import { refuseCrossSiteWrites, requireWriteAccess } from './auth.ts';
import { docsPage } from './docs.ts';
import { renderMetrics } from './metrics.ts';
import { openApi } from './openapi.ts';
import { describeIssues, NewServerBody, ServerPatchBody } from './schemas.ts';

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
  runRound?: () => Promise<RoundResult>;
  /** The dashboard page (each entry serves the generated file its own way). */
  dashboard?: () => Promise<Response>;
}

const MAX_BODY = 64 * 1024;

/** Reads and validates a JSON body; a 400 problem response when it is not valid. */
async function readJson<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S> | Response> {
  const text = await c.req.text();
  if (text.length > MAX_BODY) return problemResponse(badRequest('The body is too large.', [`(body): at most ${MAX_BODY} bytes`], c.req.path));
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return problemResponse(badRequest('The body is not valid JSON.', [`(body): ${(e as Error).message}`], c.req.path));
  }
  const parsed = v.safeParse(schema, data);
  if (!parsed.success) return problemResponse(badRequest('The body has invalid fields.', describeIssues(parsed.issues), c.req.path));
  return parsed.output;
}

function errorResponse(c: Context, e: unknown): Response {
  if (e instanceof NotFoundError) {
    return problemResponse({ type: 'urn:switchyard:problem:not-found', title: 'Not found', status: 404, detail: e.message, instance: c.req.path });
  }
  if (e instanceof ConflictError) {
    return problemResponse({ type: 'urn:switchyard:problem:conflict', title: 'Conflict', status: 409, detail: e.message, instance: c.req.path });
  }
  if (e instanceof ServerSpecError) return problemResponse(badRequest('The server is not usable.', [e.message], c.req.path));
  throw e;
}

/** The admin and stats routes, mounted under the admin prefix (`/api` by default). */
export function apiRoutes(options: ApiOptions): Hono {
  const { balancer } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const api = new Hono();
  if (options.corsOrigins?.length) {
    const origins = options.corsOrigins;
    api.use('*', cors({ origin: origins.includes('*') ? '*' : origins, allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'], maxAge: 600 }));
  }
  api.use('*', refuseCrossSiteWrites(options.corsOrigins ?? []));
  api.use('*', requireWriteAccess(options.token, options.clientIp, options.tokenRequired));

  api.get('/stats', async (c) => c.json({ ...(await balancer.status()), ...(await options.extraStats?.()) }));

  api.get('/metrics', async (c) =>
    c.body(await renderMetrics(balancer), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );

  const doc = openApi(options.prefix ?? '/api');
  api.get('/openapi.json', (c) => c.json(doc));
  api.get('/dashboard', async (c) =>
    options.dashboard
      ? options.dashboard()
      : problemResponse({ type: 'urn:switchyard:problem:not-found', title: 'Not found', status: 404, detail: 'This instance serves no dashboard.', instance: c.req.path }),
  );
  api.get('/docs', (c) => c.html(docsPage(doc as Parameters<typeof docsPage>[0])));

  api.get('/health', (c) => c.json({ status: 'healthy', uptime: Math.round((now() - started) / 1000), version: VERSION }));

  api.get('/servers', async (c) => {
    const report = await balancer.status();
    return c.json({ servers: Object.values(report.servers) });
  });

  api.post('/servers', async (c) => {
    const body = await readJson(c, NewServerBody);
    if (body instanceof Response) return body;
    const spec: BackendSpec = serverSpec(body);
    try {
      const id = backendFromSpec(spec).id;
      await balancer.state.addServer(spec);
      balancer.adminEvent(id, 'absent', 'added', `added by admin (weight ${spec.weight ?? 1}${spec.backup ? ', backup' : ''})`);
      const report = await balancer.status();
      return c.json({ server: report.servers[id] }, 201, { location: `${c.req.path}/${id}` });
    } catch (e) {
      return errorResponse(c, e);
    }
  });

  api.delete('/servers/:id', async (c) => {
    const id = c.req.param('id');
    try {
      const removed = await balancer.state.removeServer(id);
      balancer.adminEvent(id, removed.drain ? 'draining' : 'in rotation', 'removed', 'removed by admin');
      return c.json({ removed: { id, ...removed } });
    } catch (e) {
      return errorResponse(c, e);
    }
  });

  api.patch('/servers/:id', async (c) => {
    const id = c.req.param('id');
    const body = await readJson(c, ServerPatchBody);
    if (body instanceof Response) return body;
    try {
      await balancer.state.refresh();
      const before = balancer.state.pool.backends.find((b) => b.id === id);
      const wasDrained = balancer.records.peek(id)?.drained === true;
      await balancer.state.updateServer(id, body);
      if (body.drain !== undefined && body.drain !== wasDrained) {
        balancer.adminEvent(id, wasDrained ? 'draining' : 'in rotation', body.drain ? 'draining' : 'in rotation', body.drain ? 'drained by admin' : 'undrained by admin');
      }
      if (body.weight !== undefined && before && body.weight !== before.weight) balancer.adminEvent(id, `weight ${before.weight}`, `weight ${body.weight}`, 'weight changed by admin');
      const report = await balancer.status();
      return c.json({ server: report.servers[id] });
    } catch (e) {
      return errorResponse(c, e);
    }
  });

  api.post('/health-check', async (c) => {
    const round = await (options.runRound ? options.runRound() : balancer.tick(true));
    return c.json({
      checked_at: new Date(round.health.updated_at).toISOString(),
      checked: round.checked,
      changed: round.changed,
      transitions: round.transitions.map((t) => ({ ...t, at: new Date(t.at).toISOString() })),
      servers: Object.fromEntries(
        Object.entries(round.health.servers).map(([id, r]) => [
          id,
          { status: r.status, last_check: r.last_check ? { ...r.last_check, at: new Date(r.last_check.at).toISOString() } : null },
        ]),
      ),
    });
  });

  api.all('*', (c) =>
    problemResponse({
      type: 'urn:switchyard:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: `No admin route ${c.req.method} ${c.req.path}. Routes: GET stats, metrics, health, servers, openapi.json, docs; POST servers, health-check; PATCH/DELETE servers/HOST:PORT.`,
      instance: c.req.path,
    }),
  );
  return api;
}
