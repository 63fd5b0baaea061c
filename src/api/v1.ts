/**
 * Seed 003's gateway API under `/v1`, as that seed writes it: services
 * registered by image id with their containers, port mappings, on-demand
 * health checks and stats. (`/v1/proxy/{image_id}/{path}` is traffic, not
 * admin: the app serves it beside the admin API, outside its write rules.)
 */
import type { Hono } from 'hono';
import * as v from 'valibot';
import { serviceName } from '../config/service-name.ts';
import { register } from '../core/admin.ts';
import type { Balancer } from '../core/balancer.ts';
import { serviceReport } from '../core/report.ts';
import { servedBy } from '../core/respond.ts';
import type { ServiceSpec } from '../core/types.ts';
import { attempt, invalid, problem, readJson } from './body.ts';
import { RegisterBody } from './schemas.ts';

export function v1Routes(api: Hono, balancer: Balancer, now: () => number, round: () => Promise<unknown>, stats: () => Promise<unknown>): void {
  /** A service in seed 003's words: the image, its containers (with our view of each), counts. */
  const describe = (name: string) => {
    const svc = balancer.services.get(name)!;
    const spec: ServiceSpec | undefined = balancer.state.services.services[name];
    const r = serviceReport(svc, spec, now());
    const byAddress = new Map(Object.values(r.servers).map((s) => [s.id, s]));
    const registered = spec?.registration?.containers;
    const containers = registered
      ? registered.map((c) => {
          const s = byAddress.get(`${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`);
          return { ...c, health: s?.status ?? 'not_serving', active_connections: s?.active_connections ?? 0, requests: s?.requests ?? 0 };
        })
      : Object.values(r.servers).map((s) => ({ container_id: null, name: s.name, host: s.host, port: s.port, image_id: name, status: 'configured', health: s.status, active_connections: s.active_connections, requests: s.requests }));
    return {
      image_id: name,
      image_name: spec?.registration?.image_name ?? null,
      origin: r.origin,
      algorithm: r.algorithm,
      containers,
      healthy_containers: r.healthy_servers,
      total_containers: containers.length,
      total_requests: r.total_requests,
      failed_requests: r.failed_requests,
    };
  };

  api.post('/v1/services/:image_id/register', async (c) => {
    const imageId = c.req.param('image_id');
    const named = v.safeParse(serviceName, imageId);
    if (!named.success) return invalid(c, [`(image_id): ${named.issues[0].message}, got ${JSON.stringify(imageId)}`]);
    const imageName = c.req.query('image_name') ?? null;
    if (imageName !== null && (imageName.length === 0 || imageName.length > 200)) return invalid(c, [`image_name: must be 1-200 characters, got ${JSON.stringify(imageName)}`]);
    const containers = await readJson(c, RegisterBody);
    if (containers instanceof Response) return containers;
    const errors: string[] = [];
    const seen = new Map<string, number>();
    containers.forEach((x, i) => {
      if (x.image_id !== imageId) errors.push(`[${i}].image_id: must be the image id in the path (${JSON.stringify(imageId)}), got ${JSON.stringify(x.image_id)}`);
      const at = `${x.host}:${x.port}`;
      const first = seen.get(at);
      if (first !== undefined) errors.push(`[${i}].port: duplicates [${first}] (${at}), got ${x.port}`);
      else seen.set(at, i);
    });
    if (errors.length) return invalid(c, errors);
    return attempt(c, async () => {
      const created = await register(balancer, imageId, imageName, containers);
      const d = describe(imageId);
      return c.json({ message: created ? 'service registered' : 'registration replaced', ...d }, created ? 201 : 200);
    });
  });

  api.get('/v1/services', async (c) => {
    await balancer.settle();
    return c.json({ services: [...balancer.services.keys()].map(describe) });
  });

  api.get('/v1/services/:image_id', async (c) => {
    await balancer.settle();
    const id = c.req.param('image_id');
    return balancer.services.has(id) ? c.json(describe(id)) : problem(c, 404, 'not-found', 'Not found', `No service ${id}.`);
  });

  api.get('/v1/port-mappings', async (c) => {
    await balancer.settle();
    const mappings = [...balancer.services.keys()].flatMap((name) =>
      describe(name).containers.map((x) => ({ port: x.port, host: x.host, image_id: name, container_id: x.container_id, name: x.name, served_by: servedBy(name, `${x.host.includes(':') ? `[${x.host}]` : x.host}:${x.port}`), health: x.health })),
    );
    return c.json({ port_mappings: mappings });
  });

  api.post('/v1/health-check', async (c) => c.json(await round()));
  api.get('/v1/stats', async (c) => c.json(await stats()));
}
