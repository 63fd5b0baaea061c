import { DEFAULT_SERVICE } from '../config/service-name.ts';
import { splitIndex } from '../routing/split.ts';
import { firstMatch, requestHost, stripPrefix, type CompiledRoute } from '../routing/table.ts';
import { admitThen } from '../traffic/admit.ts';
import type { Gate } from '../traffic/types.ts';
import { problemResponse } from './problems.ts';
import type { RequestDone } from './respond.ts';
import type { Service } from './service.ts';
import type { Totals } from './stats.ts';
import { readSticky } from './sticky.ts';
import type { RequestInfo } from './types.ts';

export interface RouterContext {
  services: ReadonlyMap<string, Service>;
  routes: readonly CompiledRoute[];
  totals: Totals;
  now: () => number;
  /** The access log of an answer no service gave. */
  log: (e: RequestDone) => void;
  /** The checks every request passes first (the top level's limits). */
  gates: readonly Gate[];
}

/**
 * Sends a request to its service: the first route whose conditions hold
 * (a split picks a member the client keeps), its fallback when that service
 * has no server that can take it, the path stripped of a matched prefix; no
 * route: the default service, else 404 problem+json.
 */
export function route(request: Request, info: RequestInfo, ctx: RouterContext): Promise<Response> {
  return ctx.gates.length ? admitThen(ctx.gates, request, info, ctx.now(), (i) => routed(request, i, ctx)) : routed(request, info, ctx);
}

function routed(request: Request, info: RequestInfo, ctx: RouterContext): Promise<Response> {
  const fallbackDefault = ctx.services.get(DEFAULT_SERVICE);
  if (ctx.routes.length === 0) return fallbackDefault ? fallbackDefault.fetch(request, info) : Promise.resolve(noRoute(request, info, ctx));
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    // The proxy answers a request no URL can hold with 400; any service will do.
    const any = fallbackDefault ?? ctx.services.values().next().value;
    return any ? any.fetch(request, info) : Promise.resolve(noRoute(request, info, ctx));
  }
  const r = firstMatch(ctx.routes, { method: request.method, host: requestHost(request.headers.get('host'), url), path: url.pathname, url, headers: request.headers });
  if (!r) return fallbackDefault ? fallbackDefault.fetch(request, info) : Promise.resolve(noRoute(request, info, ctx, url));
  r.hits++;
  const c = r.config;
  let svc = ctx.services.get(c.service ?? chooseSplit(r, request, info, ctx.services));
  if (c.fallback && (!svc || !svc.canTake(ctx.now()))) svc = ctx.services.get(c.fallback) ?? svc;
  if (!svc) return Promise.resolve(noRoute(request, info, ctx, url));
  const path = c.stripPrefix && c.match.path_prefix !== undefined ? stripPrefix(url.pathname, c.match.path_prefix) + url.search : undefined;
  const to = svc;
  return r.gates.length ? admitThen(r.gates, request, info, ctx.now(), (i) => to.fetch(request, i, path)) : to.fetch(request, info, path);
}

/**
 * The split member a request goes to: the one whose sticky cookie the client
 * carries (naming a server that member has), else the client's address hashed
 * onto the weights, so a client stays on its side of a canary.
 */
function chooseSplit(r: CompiledRoute, request: Request, info: RequestInfo, services: ReadonlyMap<string, Service>): string {
  const split = r.config.split!;
  let i = -1;
  const cookie = request.headers.get('cookie');
  if (cookie) {
    i = split.findIndex((m) => {
      const svc = services.get(m.service);
      const tokens = svc?.stickyTokens();
      const value = tokens && readSticky(cookie, svc!.settings.sticky!.cookie);
      return value ? tokens!.backend(svc!.pool, value.token, () => true) !== undefined : false;
    });
  }
  if (i < 0) i = splitIndex(`${r.config.name}\n${info.clientIp}`, split.map((m) => m.weight));
  r.splitHits[i]++;
  return split[i].service;
}

function noRoute(request: Request, info: RequestInfo, ctx: RouterContext, url?: URL): Response {
  info.settled?.();
  const path = url?.pathname ?? '';
  const res = problemResponse({
    type: 'urn:switchyard:problem:no-route',
    title: 'No route',
    status: 404,
    detail: `No route matches ${request.method} ${url ? `${url.host}${path}` : request.url}, and there is no default service.`,
    ...(path ? { instance: path } : {}),
  });
  const t = ctx.now();
  ctx.totals.count(true, t);
  ctx.totals.answered(404);
  ctx.log({ request, clientIp: info.clientIp, service: '-', status: 404, server: null, attempts: 0, startedAt: t, durationMs: 0, bytes: Number(res.headers.get('content-length') ?? 0) });
  return res;
}
