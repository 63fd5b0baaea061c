import type { Hono } from 'hono';
import * as v from 'valibot';
import { problemLine } from '../config/issues.ts';
import { normaliseRoutes, routeProblems } from '../config/routes.ts';
import { serverSpec } from '../config/server.ts';
import { serviceName } from '../config/service-name.ts';
import { trafficLimits } from '../config/traffic-schema.ts';
import { duplicates } from '../config/validate.ts';
import { deleteService, putRoutes, putService, setShedPercent } from '../core/admin.ts';
import type { Balancer } from '../core/balancer.ts';
import { backendSpec } from '../core/pool.ts';
import { routeReport, serviceReport } from '../core/report.ts';
import { attempt, invalid, problem, readJson, readJsonWithRaw } from './body.ts';
import { RoutesBody, ServiceBody, ServicePatchBody } from './schemas.ts';

/** `/services` and `/services/NAME` (list, show, create or replace, change at run time, remove), and `/routes` (the whole list). */
export function serviceRoutes(api: Hono, balancer: Balancer, now: () => number): void {
  const report = (name: string) => {
    const svc = balancer.services.get(name);
    return svc ? serviceReport(svc, balancer.state.services.services[name], now()) : undefined;
  };

  api.get('/services', async (c) => {
    await balancer.settle();
    return c.json({ services: [...balancer.services.keys()].map((name) => report(name)) });
  });

  api.get('/services/:service', async (c) => {
    await balancer.settle();
    const r = report(c.req.param('service'));
    return r ? c.json({ service: r }) : problem(c, 404, 'not-found', 'Not found', `No service ${c.req.param('service')}.`);
  });

  api.put('/services/:service', async (c) => {
    const name = c.req.param('service');
    const named = v.safeParse(serviceName, name);
    if (!named.success) return invalid(c, [`(name): ${named.issues[0].message}, got ${JSON.stringify(name)}`]);
    const body = await readJsonWithRaw(c, ServiceBody);
    if (body instanceof Response) return body;
    const servers = (body.output.servers ?? []).map((s) => backendSpec(serverSpec(s)));
    const dup = duplicates(servers, 'servers');
    if (dup.length) return invalid(c, dup.map(problemLine));
    const { servers: _given, ...settings } = body.raw as Record<string, unknown>;
    await balancer.settle();
    const limitProblems = balancer.limitProblems({ service: { name, limits: trafficLimits(body.output, `service:${name}`) } });
    if (limitProblems.length) return invalid(c, limitProblems.map(problemLine));
    return attempt(c, async () => {
      const created = await putService(balancer, name, servers, settings);
      return c.json({ service: report(name) }, created ? 201 : 200, created ? { location: c.req.path } : {});
    });
  });

  // Run-time changes to a service that keep its definition: `shed_percent` (null: back to its settings').
  api.patch('/services/:service', async (c) => {
    const body = await readJson(c, ServicePatchBody);
    if (body instanceof Response) return body;
    const name = c.req.param('service');
    return attempt(c, async () => {
      await setShedPercent(balancer, name, body.shed_percent);
      return c.json({ service: report(name) });
    });
  });

  api.delete('/services/:service', (c) =>
    attempt(c, async () => {
      const name = c.req.param('service');
      const removed = await deleteService(balancer, name);
      return c.json({ removed: { name, servers: removed.servers.length } });
    }),
  );

  api.get('/routes', async (c) => {
    await balancer.settle();
    return c.json({ routes: balancer.routes.map(routeReport) });
  });

  api.put('/routes', async (c) => {
    const body = await readJson(c, RoutesBody);
    if (body instanceof Response) return body;
    const routes = normaliseRoutes(body);
    const check = (services: string[]) => [...routeProblems(body, services, balancer.config.admin.prefix), ...balancer.limitProblems({ routes })].map((p) => problemLine(p));
    await balancer.settle();
    const problems = check([...balancer.services.keys()]);
    if (problems.length) return invalid(c, problems);
    return attempt(c, async () => {
      await putRoutes(balancer, routes, check);
      return c.json({ routes: balancer.routes.map(routeReport) });
    });
  });
}
