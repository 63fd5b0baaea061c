import type { InputProblem } from './issues.ts';
import type { RouteInput } from './route-schema.ts';
import type { RouteConfig } from '../routing/route-config.ts';
import { hasLimits, trafficLimits } from './traffic-schema.ts';

/** Routes as the core keeps them: names filled in (a route's position, from 0, when it has none). */
export function normaliseRoutes(routes: readonly RouteInput[]): RouteConfig[] {
  return routes.map((r, i) => {
    const name = r.name ?? String(i);
    const limits = trafficLimits(r, `route:${name}`);
    return {
      name,
      match: r.match ?? {},
      ...(r.service !== undefined ? { service: r.service } : {}),
      ...(r.split ? { split: r.split.map((s) => ({ service: s.service, weight: s.weight })) } : {}),
      ...(r.fallback !== undefined ? { fallback: r.fallback } : {}),
      stripPrefix: r.strip_prefix === true,
      ...(hasLimits(limits) ? { limits } : {}),
    };
  });
}

/**
 * What is wrong with a valid-looking route list given the services there are:
 * a service, split member or fallback that does not exist, a route name used
 * twice, a path the admin API under `adminPrefix` answers (so no request
 * would reach the route). Paths are relative to the list (`[2].split[0].service`).
 */
export function routeProblems(routes: readonly RouteInput[], services: readonly string[], adminPrefix: string): InputProblem[] {
  const known = new Set(services);
  const list = services.length ? services.join(', ') : 'none';
  const out: InputProblem[] = [];
  const missing = (path: string, name: string) => {
    if (!known.has(name)) out.push({ path, message: `no such service (services: ${list})`, input: name });
  };
  const names = new Map<string, number>();
  routes.forEach((r, i) => {
    if (r.service !== undefined) missing(`[${i}].service`, r.service);
    r.split?.forEach((s, j) => missing(`[${i}].split[${j}].service`, s.service));
    if (r.fallback !== undefined) missing(`[${i}].fallback`, r.fallback);
    const under = (p: string) => p === adminPrefix || p.startsWith(`${adminPrefix}/`);
    for (const key of ['path', 'path_prefix'] as const) {
      const p = r.match?.[key];
      if (p !== undefined && under(p)) out.push({ path: `[${i}].match.${key}`, message: `is under the admin API (admin.prefix ${adminPrefix}), which answers it first; move the admin API, e.g. "admin": {"prefix": "/_lb"}`, input: p });
    }
    const name = r.name ?? String(i);
    const first = names.get(name);
    if (first !== undefined) out.push({ path: `[${i}].name`, message: `names route [${first}] too`, input: name });
    else names.set(name, i);
  });
  return out;
}
