/**
 * Changes an admin makes to services, their servers and the routes: each one
 * a pure `ServicesChange` (one per kind, the same on every store), applied by
 * the shared state to the freshest services document, stored, and listed
 * among the events. A change that cannot apply throws `NotFoundError` or
 * `ConflictError` (the API's 404 and 409) and changes nothing.
 */
import { DEFAULT_SERVICE } from '../config/service-name.ts';
import type { RouteConfig } from '../routing/route-config.ts';
import type { Balancer } from './balancer.ts';
import { backendFromSpec } from './pool.ts';
import { ConflictError, NotFoundError, type ServicesChange } from './state.ts';
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

/** Adds `spec` to `service`; gives back its id. Refused when the service has a server with that id. */
export function serverAdded(service: string, spec: BackendSpec): ServicesChange<string> {
  const id = idOf(spec);
  return {
    what: `add server ${id} to service ${service}`,
    apply(doc) {
      const s = serviceIn(doc, service);
      if (s.servers.some((x) => idOf(x) === id)) throw new ConflictError(`server ${id} already exists in service ${service}`);
      s.servers.push(spec);
      return { doc, result: id };
    },
  };
}

/** Removes server `id` from `service`; gives back its spec. */
export function serverRemoved(service: string, id: string): ServicesChange<BackendSpec> {
  return {
    what: `remove server ${id} from service ${service}`,
    apply(doc) {
      const s = serviceIn(doc, service);
      const i = s.servers.findIndex((x) => idOf(x) === id);
      if (i < 0) throw new NotFoundError(`no server ${id} in service ${service}`);
      const [removed] = s.servers.splice(i, 1);
      return { doc, result: removed };
    },
  };
}

/** What `PATCH` may change on a server: its weight, drain, max_conns (0: no cap). */
export type ServerPatch = { weight?: number; drain?: boolean; max_conns?: number };

/** Changes a server's weight, drain (`now` marks when draining began) or max_conns; gives back its spec before and after. */
export function serverUpdated(service: string, id: string, patch: ServerPatch, now: number): ServicesChange<{ before: BackendSpec; after: BackendSpec }> {
  const parts = [patch.weight !== undefined ? `weight ${patch.weight}` : '', patch.drain !== undefined ? (patch.drain ? 'drain' : 'undrain') : '', patch.max_conns !== undefined ? `max_conns ${patch.max_conns}` : ''].filter(Boolean);
  return {
    what: `update server ${id} in service ${service} (${parts.join(', ') || 'no change'})`,
    apply(doc) {
      const s = serviceIn(doc, service).servers.find((x) => idOf(x) === id);
      if (!s) throw new NotFoundError(`no server ${id} in service ${service}`);
      const before = { ...s };
      if (patch.weight !== undefined) s.weight = patch.weight;
      if (patch.max_conns === 0) delete s.max_conns;
      else if (patch.max_conns !== undefined) s.max_conns = patch.max_conns;
      if (patch.drain === true && !s.drain) {
        s.drain = true;
        s.drained_at = now;
      } else if (patch.drain === false) {
        delete s.drain;
        delete s.drained_at;
      }
      return { doc, result: { before, after: s } };
    },
  };
}

/** A run-time `shed_percent` of `spec`'s, for the spec that replaces it (shedding set at run time outlives a new definition). */
const keptShed = (spec: ServiceSpec | undefined) => (spec?.shed_percent !== undefined ? { shed_percent: spec.shed_percent } : {});

/** Creates or replaces service `name` with its servers and own settings (a run-time `shed_percent` stays); gives back whether it is new. */
export function servicePut(name: string, servers: BackendSpec[], settings: Record<string, unknown>): ServicesChange<boolean> {
  return {
    what: `put service ${name} (${servers.length} server(s))`,
    apply(doc) {
      const created = !(name in doc.services);
      doc.services[name] = { origin: 'api', servers, settings, ...keptShed(doc.services[name]) };
      return { doc, result: created };
    },
  };
}

/** Sets service `name`'s run-time `shed_percent` (null: back to its settings'); gives back the override before and after. */
export function shedSet(name: string, percent: number | null): ServicesChange<{ before: number | undefined; after: number | undefined }> {
  return {
    what: `set shed_percent of service ${name} to ${percent ?? 'its settings\' value'}`,
    apply(doc) {
      const s = serviceIn(doc, name);
      const before = s.shed_percent;
      if (percent === null) delete s.shed_percent;
      else s.shed_percent = percent;
      return { doc, result: { before, after: s.shed_percent } };
    },
  };
}

/** Removes service `name`, refused while a route names it; gives back its spec. */
export function serviceDeleted(name: string): ServicesChange<ServiceSpec> {
  return {
    what: `delete service ${name}`,
    apply(doc) {
      const removed = serviceIn(doc, name);
      const naming = routesNaming(doc.routes, name);
      if (naming.length) throw new ConflictError(`service ${name} is named by route(s) ${naming.join(', ')}: change the routes first`);
      delete doc.services[name];
      return { doc, result: removed };
    },
  };
}

/** Replaces the route list; `check` names what is wrong with it against the services there are (refused if anything). */
export function routesPut(routes: RouteConfig[], check: (services: string[]) => string[]): ServicesChange<void> {
  return {
    what: `replace the route list (${routes.length} route(s))`,
    apply(doc) {
      const problems = check(Object.keys(doc.services));
      if (problems.length) throw new ConflictError(problems.join('; '));
      doc.routes = routes;
      return { doc, result: undefined };
    },
  };
}

/** Seed 003's registration of `servers` (from `containers`) as service `imageId`; gives back whether it is new. */
export function registered(imageId: string, imageName: string | null, servers: BackendSpec[], containers: RegisteredContainer[]): ServicesChange<boolean> {
  return {
    what: `register ${containers.length} container(s) as service ${imageId}`,
    apply(doc) {
      const existing = doc.services[imageId];
      if (existing && existing.origin !== 'registration') throw new ConflictError(`service ${imageId} exists and was not made by a registration`);
      doc.services[imageId] = { origin: 'registration', servers, registration: { image_name: imageName, containers }, ...keptShed(existing) };
      return { doc, result: !existing };
    },
  };
}

export async function addServer(b: Balancer, service: string, spec: BackendSpec): Promise<string> {
  const id = await b.state.changeServices(serverAdded(service, spec));
  b.adminEvent(service, id, 'absent', 'added', `added by admin (weight ${spec.weight}${spec.backup ? ', backup' : ''})`);
  return id;
}

export async function removeServer(b: Balancer, service: string, id: string): Promise<BackendSpec> {
  const removed = await b.state.changeServices(serverRemoved(service, id));
  b.adminEvent(service, id, removed.drain ? 'draining' : 'in rotation', 'removed', 'removed by admin');
  return removed;
}

export async function updateServer(b: Balancer, service: string, id: string, patch: ServerPatch, now: number): Promise<BackendSpec> {
  const { before, after } = await b.state.changeServices(serverUpdated(service, id, patch, now));
  const was = before.drain === true;
  if (patch.drain !== undefined && patch.drain !== was) b.adminEvent(service, id, was ? 'draining' : 'in rotation', patch.drain ? 'draining' : 'in rotation', patch.drain ? 'drained by admin' : 'undrained by admin');
  if (patch.weight !== undefined && patch.weight !== before.weight) b.adminEvent(service, id, `weight ${before.weight}`, `weight ${patch.weight}`, 'weight changed by admin');
  const cap = (n: number | undefined) => (n ? `max_conns ${n}` : 'no max_conns');
  if (patch.max_conns !== undefined && patch.max_conns !== (before.max_conns ?? 0)) b.adminEvent(service, id, cap(before.max_conns), cap(patch.max_conns), 'max_conns changed by admin');
  return after;
}

/** Creates or replaces a service: its servers, and its own settings as given (the rest inherited). True when it is new. */
export async function putService(b: Balancer, name: string, servers: BackendSpec[], settings: Record<string, unknown>): Promise<boolean> {
  for (const s of servers) backendFromSpec(s);
  const created = await b.state.changeServices(servicePut(name, servers, settings));
  b.adminEvent(name, '*', created ? 'absent' : 'defined', created ? 'created' : 'replaced', `${created ? 'created' : 'replaced'} by admin (${servers.length} server(s))`);
  return created;
}

/**
 * Sets a service's run-time `shed_percent` in the services document (null:
 * back to its settings'), so every instance and the edge shed alike; recorded
 * as an admin event when it changed.
 */
export async function setShedPercent(b: Balancer, name: string, percent: number | null): Promise<void> {
  const { before, after } = await b.state.changeServices(shedSet(name, percent));
  const said = (p: number | undefined) => (p === undefined ? 'shed_percent from settings' : `shed_percent ${p}`);
  if (before !== after) b.adminEvent(name, '*', said(before), said(after), percent === null ? 'shed_percent back to the settings\' value by admin' : `shed_percent set to ${percent} by admin`);
}

/** Removes a service; refused while a route names it. */
export async function deleteService(b: Balancer, name: string): Promise<ServiceSpec> {
  const removed = await b.state.changeServices(serviceDeleted(name));
  b.adminEvent(name, '*', 'defined', 'removed', 'removed by admin');
  return removed;
}

/** Replaces the whole route list (already checked against the services there are). */
export async function putRoutes(b: Balancer, routes: RouteConfig[], check: (services: string[]) => string[]): Promise<void> {
  await b.state.changeServices(routesPut(routes, check));
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
  const created = await b.state.changeServices(registered(imageId, imageName, servers, containers));
  b.adminEvent(imageId, '*', created ? 'absent' : 'registered', 'registered', `${containers.length} container(s) registered${imageName ? ` for ${imageName}` : ''}, ${servers.length} serving`);
  return created;
}
