import type { Gate } from '../traffic/types.ts';
import { matchers } from './matchers/registry.ts';
import type { RouteConfig } from './route-config.ts';
import type { RequestTest, RouteRequest } from './types.ts';

/** A route ready to match: its tests built once, and its hit counts. */
export interface CompiledRoute {
  readonly index: number;
  readonly config: RouteConfig;
  readonly test: RequestTest;
  /** Requests it matched. */
  hits: number;
  /** Requests each split member got (empty without a split). */
  readonly splitHits: number[];
  /** The checks a request passes before it goes to the route's service (its rate limits, its concurrency cap); the balancer builds them. */
  gates: readonly Gate[];
}

/** Builds each route's test from its matchers (all must hold; no condition: every request). */
export function compileRoutes(routes: readonly RouteConfig[]): CompiledRoute[] {
  return routes.map((config, index) => {
    const tests = Object.entries(config.match).map(([key, value]) => (matchers[key as keyof typeof matchers].compile as (v: unknown) => RequestTest)(value));
    const test: RequestTest = tests.length === 0 ? () => true : tests.length === 1 ? tests[0] : (r) => tests.every((t) => t(r));
    return { index, config, test, hits: 0, splitHits: (config.split ?? []).map(() => 0), gates: [] };
  });
}

/** The first route whose conditions all hold for `r` (routes are tried in order). */
export function firstMatch(routes: readonly CompiledRoute[], r: RouteRequest): CompiledRoute | undefined {
  for (const route of routes) if (route.test(r)) return route;
  return undefined;
}

/** The host a request asked for, lowercase, without a port (`[::1]:80` → `::1`). */
export function requestHost(hostHeader: string | null, url: URL): string {
  const h = (hostHeader ?? url.host).toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** The path with a matched prefix removed, always starting with `/` (`/api/users` less `/api/` → `/users`). */
export function stripPrefix(path: string, prefix: string): string {
  const rest = path.slice(prefix.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
