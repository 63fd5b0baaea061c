import { DEFAULT_SERVICE } from '../config/service-name.ts';
import type { CompiledRoute } from '../routing/table.ts';
import type { Service } from './service.ts';
import { round1, type Totals } from './stats.ts';
import type { BalancerEvent, LastCheck, ServerStatus, ServiceSpec } from './types.ts';
import { limitSettings, type LimitsReport } from '../traffic/report.ts';

/** One server as `/api/stats` and `/api/servers` show it (snake_case). */
export interface ServerReport {
  id: string;
  name: string;
  url: string;
  host: string;
  port: number;
  weight: number;
  /** The weight in use now: lower while slow start ramps it. */
  effective_weight: number;
  backup: boolean;
  status: ServerStatus;
  health: 'healthy' | 'unhealthy';
  health_since: string | null;
  draining_since: string | null;
  active_connections: number;
  /** WebSockets open to it (they count in active_connections too); 0 on Workers, which passes sockets on unseen. */
  open_websockets: number;
  /** Most requests in flight to it at once (0: no cap). */
  max_conns: number;
  requests: number;
  errors: number;
  error_rate: number;
  avg_response_time_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  consecutive_failures: number;
  consecutive_successes: number;
  last_error: { at: string; message: string } | null;
  last_check: (Omit<LastCheck, 'at'> & { at: string }) | null;
  next_check_at: string | null;
  /** Until when passive health keeps it out (null: not ejected). */
  ejected_until: string | null;
  circuit: 'closed' | 'open' | 'half_open';
  /** Sticky sessions on this server seen within the session ttl (0 when sticky sessions are off). */
  sessions: number;
  /** While draining: seconds it has been draining (a rollout waits for active_connections 0). */
  draining_for_s: number | null;
}

/** Request figures from a `Totals` (a service's, or every service's). */
export interface RequestFigures {
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  /** Percent of requests that failed (as seed 004 reports it). */
  error_rate: number;
  /** Over the last 10 s. */
  requests_per_second: number;
}

function figures(t: Totals, now: number): RequestFigures {
  return {
    total_requests: t.total,
    successful_requests: t.successful,
    failed_requests: t.failed,
    error_rate: t.total ? round1((t.failed / t.total) * 100) : 0,
    requests_per_second: t.perSecond(now),
  };
}

/** One service as `/api/stats` shows it under `services`, and `/api/services` lists it. */
export interface ServiceReport extends RequestFigures {
  name: string;
  /** What made it: the config file, the admin API, or a seed 003 registration. */
  origin: ServiceSpec['origin'];
  /** A registered image's name (seed 003), else null. */
  image_name: string | null;
  algorithm: string;
  healthy_servers: number;
  total_servers: number;
  /** Live sticky sessions seen by this instance; null when sticky sessions are off. */
  sessions: number | null;
  health_check: { enabled: boolean; path: string; interval_ms: number };
  /** Requests waiting for a server below its max_conns (this process or isolate). */
  queue: QueueReport;
  /** Percent of new requests shed now (`PATCH /api/services/NAME`'s override, else the settings'). */
  shed_percent: number;
  /** Where `shed_percent` comes from: the service's settings (`config`) or a run-time override (`api`). */
  shed_percent_source: 'config' | 'api';
  /** Requests refused by load shedding (this process or isolate). */
  shed: number;
  servers: Record<string, ServerReport>;
}

/** A service's queue as `/api/stats` shows it (HAProxy's qcur, qmax, qtime). */
export interface QueueReport {
  /** Requests waiting now. */
  length: number;
  max_queue: number;
  timeout_ms: number;
  /** Of `length`, low-priority requests (`priority`). */
  waiting_low: number;
  /** Requests that have waited, since start. */
  queued_total: number;
  /** Answered 503 after `queue_timeout`. */
  timed_out: number;
  /** Answered 503 at once: `max_queue` requests already waited. */
  refused_full: number;
  /** Over every request that has left the queue (served, timed out or gone). */
  wait_ms_avg: number;
  wait_ms_max: number;
}

function queueReport(svc: Service): QueueReport {
  const q = svc.queue.stats();
  const { maxQueue, timeoutMs } = svc.settings.queue;
  return { length: q.length, max_queue: maxQueue, timeout_ms: timeoutMs, waiting_low: q.waitingLow, queued_total: q.queuedTotal, timed_out: q.timedOut, refused_full: q.refusedFull, wait_ms_avg: q.waitMsAvg, wait_ms_max: q.waitMsMax };
}

/** One route as `/api/stats` shows it, with what it matched. */
export interface RouteReport {
  name: string;
  match: Record<string, unknown>;
  service: string | null;
  split: Array<{ service: string; weight: number; requests: number }> | null;
  fallback: string | null;
  strip_prefix: boolean;
  requests: number;
  /** The route's own limits, as the config writes them. */
  limits: ReturnType<typeof limitSettings>;
}

/** The body of `GET /api/stats`; its request figures are totals over every service. */
export interface StatusReport extends RequestFigures, LimitsReport {
  /** The default service's algorithm (the top level's, which services inherit). */
  algorithm: string;
  uptime: number;
  /** Servers healthy and not draining, over every service (a server in two services counts in each). */
  healthy_servers: number;
  total_servers: number;
  /** Live sticky sessions seen by this instance, over every service; null when no service has them on. */
  sessions: number | null;
  storage: string;
  /** Whose requests the counters cover: this `process`, or one Workers `isolate`. */
  counters_scope: 'process' | 'isolate';
  /** The default service's servers, keyed `host:port` (empty without a default service). */
  servers: Record<string, ServerReport>;
  services: Record<string, ServiceReport>;
  routes: RouteReport[];
  events: Array<Omit<BalancerEvent, 'at'> & { at: string }>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** One server of a service, as reported. */
function serverReport(svc: Service, spec: Service['specs'][number], id: string, now: number, sessions: Map<string, number> | undefined): ServerReport {
  const b = svc.pool.byId.get(id)!;
  const rec = svc.health.record(id);
  const c = svc.records.get(id);
  const lat = c.latency();
  const health = rec?.status ?? 'healthy';
  return {
    id,
    name: b.name,
    url: b.url,
    host: b.host,
    port: b.port,
    weight: b.weight,
    effective_weight: Math.round(svc.effectiveWeight(b, now) * 1000) / 1000,
    backup: b.backup,
    status: spec.drain ? 'draining' : health,
    health,
    health_since: rec?.since ? iso(rec.since) : null,
    draining_since: spec.drained_at ? iso(spec.drained_at) : null,
    active_connections: c.inFlight,
    open_websockets: c.openWebSockets,
    max_conns: b.maxConns,
    requests: c.requests,
    errors: c.errors,
    error_rate: c.requests ? round1((c.errors / c.requests) * 100) : 0,
    avg_response_time_ms: lat.avg,
    p50_ms: lat.p50,
    p95_ms: lat.p95,
    p99_ms: lat.p99,
    consecutive_failures: rec?.consecutive_failures ?? 0,
    consecutive_successes: rec?.consecutive_successes ?? 0,
    last_error: c.lastError ? { at: iso(c.lastError.at), message: c.lastError.message } : null,
    last_check: rec?.last_check ? { ...rec.last_check, at: iso(rec.last_check.at) } : null,
    next_check_at: rec?.next_check_at ? iso(rec.next_check_at) : null,
    ejected_until: ((t) => (t ? iso(t) : null))(svc.guards.ejectedUntil(id, now)),
    circuit: svc.guards.circuit(id, now),
    sessions: sessions?.get(id) ?? 0,
    draining_for_s: spec.drained_at ? Math.round((now - spec.drained_at) / 100) / 10 : null,
  };
}

/** One service's figures. */
export function serviceReport(svc: Service, spec: ServiceSpec | undefined, now: number): ServiceReport {
  const sessions = svc.sessions?.count(now);
  const servers: Record<string, ServerReport> = {};
  let healthy = 0;
  svc.specs.forEach((s, i) => {
    const id = svc.pool.backends[i].id;
    const r = serverReport(svc, s, id, now, sessions);
    if (r.status === 'healthy') healthy++;
    servers[id] = r;
  });
  const hc = svc.settings.healthCheck;
  return {
    name: svc.name,
    origin: spec?.origin ?? 'config',
    image_name: spec?.registration?.image_name ?? null,
    algorithm: svc.settings.algorithm,
    ...figures(svc.totals, now),
    healthy_servers: healthy,
    total_servers: svc.specs.length,
    sessions: sessions ? [...sessions.values()].reduce((a, n) => a + n, 0) : null,
    health_check: { enabled: hc.enabled, path: hc.path, interval_ms: hc.intervalMs },
    queue: queueReport(svc),
    shed_percent: svc.shed.percent(),
    shed_percent_source: svc.shed.source(),
    shed: svc.shed.refused,
    servers,
  };
}

export function routeReport(route: CompiledRoute): RouteReport {
  const c = route.config;
  return {
    name: c.name,
    match: { ...c.match },
    service: c.service ?? null,
    split: c.split ? c.split.map((s, i) => ({ service: s.service, weight: s.weight, requests: route.splitHits[i] })) : null,
    fallback: c.fallback ?? null,
    strip_prefix: c.stripPrefix,
    requests: route.hits,
    limits: limitSettings(c.limits),
  };
}

/** The whole of `/api/stats`: totals over every service, the default service's servers, every service and route. */
export function statusReport(input: {
  limits: LimitsReport;
  algorithm: string;
  services: Iterable<Service>;
  specs: Record<string, ServiceSpec>;
  routes: readonly CompiledRoute[];
  totals: Totals;
  events: readonly BalancerEvent[];
  storage: string;
  startedAt: number;
  now: number;
}): StatusReport {
  const { totals, now } = input;
  const services: Record<string, ServiceReport> = {};
  let healthy = 0;
  let total = 0;
  let sessions: number | null = null;
  for (const svc of input.services) {
    const r = serviceReport(svc, input.specs[svc.name], now);
    services[svc.name] = r;
    healthy += r.healthy_servers;
    total += r.total_servers;
    if (r.sessions !== null) sessions = (sessions ?? 0) + r.sessions;
  }
  return {
    algorithm: input.algorithm,
    uptime: Math.round((now - input.startedAt) / 1000),
    ...figures(totals, now),
    healthy_servers: healthy,
    total_servers: total,
    sessions,
    storage: input.storage,
    counters_scope: 'process',
    servers: services[DEFAULT_SERVICE]?.servers ?? {},
    services,
    routes: input.routes.map(routeReport),
    events: input.events.map((e) => ({ ...e, at: iso(e.at) })),
    ...input.limits,
  };
}
