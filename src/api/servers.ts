import type { Context, Hono } from 'hono';
import { DEFAULT_SERVICE } from '../config/service-name.ts';
import { serverSpec } from '../config/server.ts';
import { addServer, removeServer, updateServer } from '../core/admin.ts';
import type { Balancer } from '../core/balancer.ts';
import { backendSpec } from '../core/pool.ts';
import { serviceReport } from '../core/report.ts';
import { attempt, problem, readJson } from './body.ts';
import { NewServerBody, ServerPatchBody } from './schemas.ts';

/**
 * A service's server routes under `base`: list, add, change (weight, drain,
 * max_conns), remove. `base` is `/servers` (the default service) or
 * `/services/:service/servers`.
 */
export function serverRoutes(api: Hono, base: string, balancer: Balancer, now: () => number): void {
  const serviceOf = (c: Context) => c.req.param('service') ?? DEFAULT_SERVICE;
  const report = async (c: Context) => {
    await balancer.settle();
    const name = serviceOf(c);
    const svc = balancer.services.get(name);
    return svc ? serviceReport(svc, balancer.state.services.services[name], now()) : undefined;
  };
  const missing = (c: Context) => problem(c, 404, 'not-found', 'Not found', serviceOf(c) === DEFAULT_SERVICE ? 'There is no default service (the config names services but no top-level servers); use /services/NAME/servers.' : `No service ${serviceOf(c)}.`);

  api.get(base, async (c) => {
    const r = await report(c);
    return r ? c.json({ servers: Object.values(r.servers) }) : missing(c);
  });

  api.post(base, async (c) => {
    const body = await readJson(c, NewServerBody);
    if (body instanceof Response) return body;
    return attempt(c, async () => {
      const id = await addServer(balancer, serviceOf(c), backendSpec(serverSpec(body)));
      return c.json({ server: (await report(c))!.servers[id] }, 201, { location: `${c.req.path}/${id}` });
    });
  });

  api.patch(`${base}/:id`, async (c) => {
    const body = await readJson(c, ServerPatchBody);
    if (body instanceof Response) return body;
    return attempt(c, async () => {
      const id = c.req.param('id');
      await updateServer(balancer, serviceOf(c), id, body, now());
      return c.json({ server: (await report(c))!.servers[id] });
    });
  });

  api.delete(`${base}/:id`, (c) =>
    attempt(c, async () => {
      const id = c.req.param('id');
      const removed = await removeServer(balancer, serviceOf(c), id);
      return c.json({ removed: { id, ...removed } });
    }),
  );
}
