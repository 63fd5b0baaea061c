import type { Config } from '../config/types.ts';
import { backendFromSpec } from './pool.ts';
import type { Guards } from './guards.ts';
import type { SharedState } from './state.ts';
import type { RuntimeTable } from './records.ts';
import { round1, type Totals } from './stats.ts';
import type { Backend, BalancerEvent, LastCheck, ServerStatus } from './types.ts';
import type { SessionTable } from './sticky.ts';

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

/** The body of `GET /api/stats`. */
export interface StatusReport {
  algorithm: string;
  uptime: number;
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  /** Percent of requests that failed (as seed 004 reports it). */
  error_rate: number;
  requests_per_second: number;
  healthy_servers: number;
  total_servers: number;
  /** Live sticky sessions seen by this instance; null when sticky sessions are off. */
  sessions: number | null;
  storage: string;
  /** Whose requests the counters cover: this `process`, or one Workers `isolate`. */
  counters_scope: 'process' | 'isolate';
  servers: Record<string, ServerReport>;
  events: Array<Omit<BalancerEvent, 'at'> & { at: string }>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function statusReport(input: {
  config: Config;
  state: SharedState;
  records: RuntimeTable;
  totals: Totals;
  events: readonly BalancerEvent[];
  startedAt: number;
  now: number;
  guards: Guards;
  effectiveWeight: (b: Backend, now: number) => number;
  sessions?: SessionTable;
}): StatusReport {
  const { state, records, totals, now } = input;
  const sessions = input.sessions?.count(now);
  const servers: Record<string, ServerReport> = {};
  let healthy = 0;
  for (const spec of state.backendsDoc.servers) {
    const b = backendFromSpec(spec);
    const rec = state.record(b.id);
    const c = records.get(b.id);
    const lat = c.latency();
    const health = rec?.status ?? 'healthy';
    if (health === 'healthy' && !spec.drain) healthy++;
    servers[b.id] = {
      id: b.id,
      name: b.name,
      url: b.url,
      host: b.host,
      port: b.port,
      weight: b.weight,
      effective_weight: Math.round(input.effectiveWeight(b, now) * 1000) / 1000,
      backup: b.backup,
      status: spec.drain ? 'draining' : health,
      health,
      health_since: rec?.since ? iso(rec.since) : null,
      draining_since: spec.drained_at ? iso(spec.drained_at) : null,
      active_connections: c.inFlight,
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
      ejected_until: ((t) => (t ? iso(t) : null))(input.guards.ejectedUntil(b.id, now)),
      circuit: input.guards.circuit(b.id, now),
      sessions: sessions?.get(b.id) ?? 0,
      draining_for_s: spec.drained_at ? Math.round((now - spec.drained_at) / 100) / 10 : null,
    };
  }
  return {
    algorithm: input.config.algorithm,
    uptime: Math.round((now - input.startedAt) / 1000),
    total_requests: totals.total,
    successful_requests: totals.successful,
    failed_requests: totals.failed,
    error_rate: totals.total ? round1((totals.failed / totals.total) * 100) : 0,
    requests_per_second: totals.perSecond(now),
    healthy_servers: healthy,
    total_servers: state.backendsDoc.servers.length,
    sessions: sessions ? [...sessions.values()].reduce((a, n) => a + n, 0) : null,
    storage: state.storeName,
    counters_scope: 'process',
    servers,
    events: input.events.map((e) => ({ ...e, at: iso(e.at) })),
  };
}
