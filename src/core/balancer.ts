import * as v from 'valibot';
import { resolveService } from '../config/pool.ts';
import { backendSpec } from './pool.ts';
import { ServiceSchema } from '../config/schema.ts';
import { DEFAULT_SERVICE } from '../config/service-name.ts';
import type { Config, PoolSettings } from '../config/types.ts';
import type { HealthProbe } from '../health/probe.ts';
import { nextCheckAt } from '../health/schedule.ts';
import type { Digest } from '../policies/types.ts';
import { compileRoutes, type CompiledRoute } from '../routing/table.ts';
import type { StateStore } from '../storage/types.ts';
import type { Transport } from '../transport/types.ts';
import { admitThen } from '../traffic/admit.ts';
import { LimitCounters } from '../traffic/counters.ts';
import { limitGates, type LimitDeps } from '../traffic/gates.ts';
import { limitsReport } from '../traffic/report.ts';
import { RateLimitStores } from '../traffic/stores.ts';
import type { RateLimitBindings } from '../traffic/types.ts';
import type { TrafficLimits } from '../traffic/config.ts';
import { limitNameProblems } from '../config/traffic-schema.ts';
import type { InputProblem } from '../config/issues.ts';
import type { RouteConfig } from '../routing/route-config.ts';
import { accessLine } from './access-log.ts';
import type { Compress } from './compress.ts';
import { silentLogger, type Logger } from './log.ts';
import { statusReport, type StatusReport } from './report.ts';
import type { RequestDone } from './respond.ts';
import { route } from './router.ts';
import { Service } from './service.ts';
import { SharedState } from './state.ts';
import { Totals } from './stats.ts';
import { stickySecret } from './sticky-secret.ts';
import type { BalancerEvent, HealthDocument, HealthRecord, Hmac, RequestInfo, ServiceSpec, ServicesDocument } from './types.ts';

export interface BalancerDeps {
  config: Config;
  store: StateStore;
  transport: Transport;
  /** Defaults to an HTTP GET of each service's `health_check.path` through the transport. */
  probe?: HealthProbe;
  /** Epoch milliseconds. */
  now?: () => number;
  random?: () => number;
  /** MD5/SHA-1 for those `consistent_hash.hash_function`s (from the entry). */
  digest?: Digest;
  /** HMAC-SHA-256 for signing sticky-session tokens (from the entry); needed when `sticky` is on. */
  hmac?: Hmac;
  log?: Logger;
  /** How long a read of shared state stays fresh. Default: forever for a store of one's own, 1 s for a shared one. */
  snapshotTtlMs?: number;
  /** What rate limits with store `edge` or `durable_object` count in (from the Workers entry). */
  rateLimitBindings?: RateLimitBindings;
  /** The runtime's compressing streams, for `compression` (from the Node, Bun and Deno entries; none: never compressed). */
  compress?: Compress;
}

/** One health-check round over every service: what changed and each service's records after it. */
export interface BalancerRound {
  at: number;
  changed: boolean;
  transitions: BalancerEvent[];
  checked: Array<{ service: string; server: string }>;
  services: Record<string, Record<string, HealthRecord>>;
}

/** The balancing core. Every runtime, trigger and test drives it through `fetch` and `tick`. */
export interface Balancer {
  /** Routes one request to a service and proxies it (with failover), or answers 404/502/503/504 problem+json. */
  fetch(request: Request, info: RequestInfo): Promise<Response>;
  /** Proxies a request to one named service with `path` (path and query) as the backend path; undefined when there is no such service. */
  fetchService(name: string, request: Request, info: RequestInfo, path: string): Promise<Response> | undefined;
  /** One round of active health checks of every service's servers that are due (with `force`: every server of every service); writes the health map once. */
  tick(force?: boolean): Promise<BalancerRound>;
  /**
   * When the earliest periodic check of any service is due (epoch ms): the
   * time to arm a timer or alarm for. -Infinity when a server was never
   * checked, Infinity when no service has periodic checks.
   */
  nextCheckAt(): number;
  /** The figures `/api/stats` shows. */
  status(): Promise<StatusReport>;
  /** Brings the local copy of shared state up to date (API reads call it). */
  settle(): Promise<void>;
  readonly state: SharedState;
  readonly services: ReadonlyMap<string, Service>;
  readonly routes: readonly CompiledRoute[];
  readonly totals: Totals;
  readonly config: Config;
  /** Recent health transitions and admin changes, newest last (at most 100). */
  readonly events: readonly BalancerEvent[];
  /** Where this balancer logs (its dropped-line count is in the metrics). */
  readonly log: Logger;
  /**
   * What is wrong with the limits of a service or route list about to be put
   * through the API (paths as in its body): a rate-limit name another scope
   * uses, or a store this runtime cannot keep.
   */
  limitProblems(change: { service?: { name: string; limits: TrafficLimits }; routes?: readonly RouteConfig[] }): InputProblem[];
  /** Records an admin change among the events; counts as no health transition. */
  adminEvent(service: string, server: string, from: string, to: string, reason: string): void;
}

const EVENTS_KEPT = 100;

/** The services document a config starts with: its services and routes, version 0. */
export function initialServices(config: Config, now: number): ServicesDocument {
  const services: Record<string, ServiceSpec> = {};
  const specs = (servers: Config['servers']) => servers.map(backendSpec);
  if (config.defaultService) services[DEFAULT_SERVICE] = { origin: 'config', servers: specs(config.servers) };
  for (const s of config.services) services[s.name] = { origin: 'config', servers: specs(s.servers) };
  return { version: 0, updated_at: now, services, routes: config.routes };
}

export function createBalancer(deps: BalancerDeps): Balancer {
  const { config, store } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? silentLogger;
  const random = deps.random ?? Math.random;
  const totals = new Totals();
  const events: BalancerEvent[] = [];
  const startedAt = now();
  const state = new SharedState(initialServices(config, now()), store, deps.snapshotTtlMs ?? (store.shared ? 1000 : Infinity), now);
  state.onError = (e) => log.warn('state store read failed; using the last copy', { store: store.name, error: String(e) });
  const secret = stickySecret(config, store, log);
  const services = new Map<string, Service>();
  let routes: CompiledRoute[] = [];

  function pushEvents(list: BalancerEvent[]): void {
    for (const e of list) {
      events.push(e);
      const r = e.kind === 'admin' ? undefined : services.get(e.service)?.records.peek(e.server);
      if (r) r.transitions++;
      log.info(e.kind === 'admin' ? 'admin change' : 'health transition', { service: e.service, server: e.server, from: e.from, to: e.to, reason: e.reason });
    }
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
  }

  // Rate-limit stores and what every limit counted, balancer-wide by limit name: a change to routes or services keeps them.
  const limitDeps: LimitDeps = { stores: new RateLimitStores(deps.rateLimitBindings, log), counters: new LimitCounters(), log, onDone: (e) => serviceDeps.onDone(e) };
  // The checks every proxied request passes before routing (the top level's limits).
  const globalGates = limitGates(config.globalLimits, { label: 'global', service: '-', totals }, limitDeps);
  /** Every scope with limits, as `/api/stats` lists them. */
  const limitScopes = () => [
    { scope: 'global', limits: config.globalLimits },
    ...routes.flatMap((r) => (r.config.limits ? [{ scope: `route:${r.config.name}`, limits: r.config.limits }] : [])),
    ...[...services.values()].map((s) => ({ scope: `service:${s.name}`, limits: s.settings.limits })),
  ];

  const serviceDeps = {
    transport: deps.transport,
    log,
    now,
    random,
    digest: deps.digest,
    hmac: deps.hmac,
    compress: deps.compress,
    probe: deps.probe,
    stickySecret: secret.value,
    health: (name: string) => state.healthOf(name),
    shedOverride: (name: string) => state.services.services[name]?.shed_percent,
    totals,
    servedByHeader: config.servedByHeader,
    onEvent: (e: BalancerEvent) => pushEvents([e]),
    onDone: (e: RequestDone) => {
      if (config.accessLog !== 'off') log.line(accessLine(e, config.accessLog));
    },
    limitGates: (limits: TrafficLimits, service: string, serviceTotals: Totals) => limitGates(limits, { label: `service:${service}`, service, totals: serviceTotals }, limitDeps),
  };

  // Resolved settings per service, kept while what they come from is unchanged (a service keeps its budget and sessions).
  const settingsCache = new Map<string, { key: string; settings: PoolSettings }>();
  function settingsFor(name: string, spec: ServiceSpec): PoolSettings {
    const key = `${spec.origin}\n${JSON.stringify(spec.settings ?? null)}`;
    const cached = settingsCache.get(name);
    if (cached?.key === key) return cached.settings;
    let settings: PoolSettings | undefined;
    if (spec.origin === 'config') settings = name === DEFAULT_SERVICE && config.defaultService ? config : config.services.find((s) => s.name === name);
    if (!settings && spec.origin === 'api') {
      const parsed = v.safeParse(ServiceSchema, spec.settings ?? {});
      if (parsed.success) settings = resolveService(name, config.inherited, parsed.output);
      else log.warn('stored service settings are not valid; using the inherited ones', { service: name });
    }
    settings ??= resolveService(name, config.inherited, {});
    settingsCache.set(name, { key, settings });
    return settings;
  }

  function applyServices(doc: ServicesDocument): void {
    for (const [name, spec] of Object.entries(doc.services)) {
      const settings = settingsFor(name, spec);
      const existing = services.get(name);
      if (existing) existing.configure(settings, spec.servers);
      else services.set(name, new Service(name, settings, spec.servers, serviceDeps));
    }
    for (const name of [...services.keys()]) {
      if (!(name in doc.services)) {
        services.get(name)?.close();
        services.delete(name);
        settingsCache.delete(name);
      }
    }
    // Routes keep their counts across a change when their name and target stay.
    const before = new Map(routes.map((r) => [JSON.stringify(r.config), r]));
    routes = compileRoutes(doc.routes);
    for (const r of routes) {
      const old = before.get(JSON.stringify(r.config));
      if (old) {
        r.hits = old.hits;
        r.splitHits.splice(0, r.splitHits.length, ...old.splitHits);
      }
      if (r.config.limits) r.gates = limitGates(r.config.limits, { label: `route:${r.config.name}`, service: r.config.service ?? '-', totals }, limitDeps);
    }
    // Counts of limits no longer configured go (a cap's in-progress requests keep theirs until they end).
    limitDeps.counters.retain(limitScopes());
  }
  state.onServices = applyServices;
  applyServices(state.services);

  state.onHealth = (before: HealthDocument, after: HealthDocument) => {
    for (const [name, servers] of Object.entries(after.services)) {
      const svc = services.get(name);
      if (!svc) continue;
      for (const [id, rec] of Object.entries(servers)) {
        if (rec.status === 'healthy' && before.services[name]?.[id]?.status === 'unhealthy') svc.guards.recovered(id);
      }
    }
  };

  /** Shared state (and the sticky secret) fresh enough to serve: only the very first request waits for the store. */
  async function ready(info?: RequestInfo): Promise<void> {
    const refreshing = state.refresh();
    if (refreshing) {
      // A read no request keeps alive (an API read has no waitUntil) is waited for: at the edge it
      // would be cancelled with its request, and every later read would wait on it for ever.
      if (!state.loaded || !info?.waitUntil) await refreshing;
      else info.waitUntil(refreshing);
    }
    const signing = secret.ready();
    if (signing) {
      // The request that starts the read keeps it alive (Workers: I/O belongs to a request).
      info?.waitUntil?.(signing);
      await signing;
    }
  }

  async function tick(force = false): Promise<BalancerRound> {
    // Always start from the stored documents: an admin change may have landed since.
    const reading = state.refresh();
    if (reading) await reading;
    // A forced round (POST /health-check) checks every service, its periodic checks on or not.
    const due = [...services.values()].filter((s) => force || s.settings.healthCheck.enabled);
    const rounds = await Promise.all(due.map((s) => s.round(force)));
    const next: HealthDocument['services'] = {};
    for (const name of services.keys()) if (state.health.services[name]) next[name] = state.health.services[name];
    const out: BalancerRound = { at: now(), changed: false, transitions: [], checked: [], services: next };
    due.forEach((svc, i) => {
      const r = rounds[i];
      next[svc.name] = r.health.servers;
      svc.health.clearMarks();
      out.changed ||= r.changed || !state.health.services[svc.name];
      out.transitions.push(...r.transitions.map((t) => ({ ...t, service: svc.name })));
      out.checked.push(...r.checked.map((server) => ({ service: svc.name, server })));
    });
    if (Object.keys(state.health.services).some((name) => !(name in next))) out.changed = true;
    // A rationed store gets the map only on a change; others every round, so readers see how fresh the checks are.
    await state.putHealth({ updated_at: out.at, services: next }, out.changed || !store.writeOnlyOnChange);
    pushEvents(out.transitions);
    return out;
  }

  return {
    async fetch(request, info) {
      await ready(info);
      return route(request, info, { services, routes, totals, now, log: (e) => serviceDeps.onDone(e), gates: globalGates });
    },
    fetchService(name, request, info, path) {
      const svc = services.get(name);
      if (!svc) return undefined;
      // The gateway's traffic passes the top level's limits too (it skips routing, not the balancer).
      const go = (i: RequestInfo) => svc.fetch(request, i, path);
      return ready(info).then(() => (globalGates.length ? admitThen(globalGates, request, info, now(), go) : go(info)));
    },
    tick,
    nextCheckAt: () =>
      nextCheckAt([...services.values()].filter((s) => s.settings.healthCheck.enabled).map((s) => ({ ids: s.pool.backends.map((b) => b.id), records: state.healthOf(s.name) }))),
    async status() {
      await ready();
      return statusReport({ limits: limitsReport(limitScopes(), limitDeps.counters), algorithm: config.algorithm, services: services.values(), specs: state.services.services, routes, totals, events, storage: state.storeName, startedAt, now: now() });
    },
    settle: () => ready(),
    state,
    log,
    services,
    get routes() {
      return routes;
    },
    totals,
    config,
    events,
    limitProblems(change) {
      // The scopes as they would be, the changed ones last under `@` (so theirs is the duplicate named), then in the body's paths.
      const changed: Array<{ path: string; limits: TrafficLimits }> = [];
      if (change.service) changed.push({ path: '@', limits: change.service.limits });
      change.routes?.forEach((r, i) => r.limits && changed.push({ path: `@[${i}]`, limits: r.limits }));
      const kept = [
        { path: '', limits: config.globalLimits },
        ...[...services.values()].filter((s) => s.name !== change.service?.name).map((s) => ({ path: `services.${s.name}`, limits: s.settings.limits })),
        ...(change.routes ? [] : routes.flatMap((r) => (r.config.limits ? [{ path: `routes[${r.index}]`, limits: r.config.limits }] : []))),
      ];
      const body = (path: string) => path.replace(/^@\.?/, '');
      return [...limitNameProblems([...kept, ...changed]), ...limitDeps.stores.problems(changed)].filter((p) => p.path.startsWith('@')).map((p) => ({ ...p, path: body(p.path), message: p.message.replace(/(^|\s)@\.?/g, '$1') }));
    },
    adminEvent: (service, server, from, to, reason) => pushEvents([{ kind: 'admin', service, server, from, to, reason, at: now() }]),
  };
}
