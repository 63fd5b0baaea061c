/**
 * Changes an admin makes to services, their servers and the routes: each one
 * applied to the freshest services document, stored, and listed among the
 * events. A change that cannot apply throws `NotFoundError` or
 * `ConflictError` (the API's 404 and 409) and changes nothing.
 */
import { DEFAULT_SERVICE } from '../config/service-name.ts';
import type { RouteConfig } from '../routing/route-config.ts';
import type { Balancer } from './balancer.ts';
import { backendFromSpec } from './pool.ts';
import { ConflictError, NotFoundError } from './state.ts';
import type { BackendSpec, RegisteredContainer, ServicesDocument, ServiceSpec } from './types.ts';

const idOf = (s: BackendSpec) => backendFromSpec(s).id;

function serviceIn(doc: ServicesDocument, name: string): ServiceSpec {
  const s = doc.services[name];
  if (!s) throw new NotFoundError(name === DEFAULT_SERVICE ? 'there is no default service (the config names services but no top-level servers); use /api/services/NAME/servers' : `no service ${name}`);
  return s;
}

/** The routes that name `service` (as target, split member or fallback). */
function routesNaming(routes: readonly RouteConfig[], service: string): string[] {
  return routes.filter((r) => r.service === service || r.fallback === service || r.split?.some((m) => m.service === service)).map((r) => r.name);
}

export async function addServer(b: Balancer, service: string, spec: BackendSpec): Promise<string> {
  const id = idOf(spec);
  await b.state.changeServices((doc) => {
    const s = serviceIn(doc, service);
    if (s.servers.some((x) => idOf(x) === id)) throw new ConflictError(`server ${id} already exists in service ${service}`);
    s.servers.push(spec);
    return doc;
  });
  b.adminEvent(service, id, 'absent', 'added', `added by admin (weight ${spec.weight}${spec.backup ? ', backup' : ''})`);
  return id;
}

export async function removeServer(b: Balancer, service: string, id: string): Promise<BackendSpec> {
  let removed: BackendSpec | undefined;
  await b.state.changeServices((doc) => {
    const s = serviceIn(doc, service);
    const i = s.servers.findIndex((x) => idOf(x) === id);
    if (i < 0) throw new NotFoundError(`no server ${id} in service ${service}`);
    [removed] = s.servers.splice(i, 1);
    return doc;
  });
  b.adminEvent(service, id, removed!.drain ? 'draining' : 'in rotation', 'removed', 'removed by admin');
  return removed!;
}

export async function updateServer(b: Balancer, service: string, id: string, patch: { weight?: number; drain?: boolean }, now: number): Promise<BackendSpec> {
  let before: BackendSpec | undefined;
  let after: BackendSpec | undefined;
  await b.state.changeServices((doc) => {
    const s = serviceIn(doc, service).servers.find((x) => idOf(x) === id);
    if (!s) throw new NotFoundError(`no server ${id} in service ${service}`);
    before = { ...s };
    if (patch.weight !== undefined) s.weight = patch.weight;
    if (patch.drain === true && !s.drain) {
      s.drain = true;
      s.drained_at = now;
    } else if (patch.drain === false) {
      delete s.drain;
      delete s.drained_at;
    }
    after = s;
    return doc;
  });
  const was = before!.drain === true;
  if (patch.drain !== undefined && patch.drain !== was) b.adminEvent(service, id, was ? 'draining' : 'in rotation', patch.drain ? 'draining' : 'in rotation', patch.drain ? 'drained by admin' : 'undrained by admin');
  if (patch.weight !== undefined && patch.weight !== before!.weight) b.adminEvent(service, id, `weight ${before!.weight}`, `weight ${patch.weight}`, 'weight changed by admin');
  return after!;
}

/** Creates or replaces a service: its servers, and its own settings as given (the rest inherited). True when it is new. */
export async function putService(b: Balancer, name: string, servers: BackendSpec[], settings: Record<string, unknown>): Promise<boolean> {
  for (const s of servers) backendFromSpec(s);
  let created = false;
  await b.state.changeServices((doc) => {
    created = !(name in doc.services);
    doc.services[name] = { origin: 'api', servers, settings };
    return doc;
  });
  b.adminEvent(name, '*', created ? 'absent' : 'defined', created ? 'created' : 'replaced', `${created ? 'created' : 'replaced'} by admin (${servers.length} server(s))`);
  return created;
}

/** Removes a service; refused while a route names it. */
export async function deleteService(b: Balancer, name: string): Promise<ServiceSpec> {
  let removed: ServiceSpec | undefined;
  await b.state.changeServices((doc) => {
    removed = serviceIn(doc, name);
    const naming = routesNaming(doc.routes, name);
    if (naming.length) throw new ConflictError(`service ${name} is named by route(s) ${naming.join(', ')}: change the routes first`);
    delete doc.services[name];
    return doc;
  });
  b.adminEvent(name, '*', 'defined', 'removed', 'removed by admin');
  return removed!;
}

/** Replaces the whole route list (already checked against the services there are). */
export async function putRoutes(b: Balancer, routes: RouteConfig[], check: (services: string[]) => string[]): Promise<void> {
  await b.state.changeServices((doc) => {
    const problems = check(Object.keys(doc.services));
    if (problems.length) throw new ConflictError(problems.join('; '));
    doc.routes = routes;
    return doc;
  });
  b.adminEvent('*', '*', 'routes', 'routes', `route list replaced by admin (${routes.length} route(s))`);
}

/** Statuses of a registered container that put it in rotation (anything else keeps it registered but out). */
export const SERVING_STATUSES = new Set(['healthy', 'running', 'up', 'started', 'ready']);

/**
 * Seed 003's registration: the service named by the image id gets exactly these
 * containers (registering again replaces the list); those whose status is not
 * a serving one are kept in the registration but take no requests.
 */
export async function register(b: Balancer, imageId: string, imageName: string | null, containers: RegisteredContainer[]): Promise<boolean> {
  const servers: BackendSpec[] = containers
    .filter((c) => SERVING_STATUSES.has(c.status.toLowerCase()))
    .map((c) => ({ url: `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`, name: c.name, weight: 1, backup: false }));
  for (const s of servers) backendFromSpec(s);
  let created = false;
  await b.state.changeServices((doc) => {
    const existing = doc.services[imageId];
    if (existing && existing.origin !== 'registration') throw new ConflictError(`service ${imageId} exists and was not made by a registration`);
    created = !existing;
    doc.services[imageId] = { origin: 'registration', servers, registration: { image_name: imageName, containers } };
    return doc;
  });
  b.adminEvent(imageId, '*', created ? 'absent' : 'registered', 'registered', `${containers.length} container(s) registered${imageName ? ` for ${imageName}` : ''}, ${servers.length} serving`);
  return created;
}
