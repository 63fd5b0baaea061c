import type { Balancer } from '../core/balancer.ts';
import { LATENCY_BUCKETS_S } from '../core/stats.ts';
import { CONTENT_CODINGS } from '../config/compression-schema.ts';

/** Escapes a label value for the Prometheus text format. */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * The Prometheus text exposition (version 0.0.4) of this instance's counters:
 * per server (labelled with its service): requests by status class, a latency
 * histogram, in-flight, up, circuit state, health transitions, sticky
 * sessions; requests per route; the balancer's own answers and retries;
 * requests shed per service; each service's queue (length, timeouts, wait);
 * each rate limit's and concurrency cap's counts; compressed bodies and
 * their bytes before and after, by encoding; log lines dropped.
 */
export async function renderMetrics(balancer: Balancer): Promise<string> {
  const report = await balancer.status();
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const servers = Object.values(report.services).flatMap((svc) => Object.values(svc.servers).map((s) => ({ service: svc.name, s, c: balancer.services.get(svc.name)!.records.get(s.id) })));
  const of = (x: (typeof servers)[number]) => `service="${label(x.service)}",server="${label(x.s.id)}"`;

  family('switchyard_requests_total', 'counter', 'Responses from each server, by status class.');
  for (const x of servers) for (let k = 1; k <= 5; k++) out.push(`switchyard_requests_total{${of(x)},code="${k}xx"} ${x.c.statusClasses[k]}`);
  family('switchyard_generated_responses_total', 'counter', 'Responses the balancer made itself (no route, or no server answered), by status.');
  for (const status of [404, 429, 502, 503, 504]) out.push(`switchyard_generated_responses_total{code="${status}"} ${balancer.totals.generated.get(status) ?? 0}`);

  family('switchyard_request_duration_seconds', 'histogram', 'Time to response headers from each server.');
  for (const x of servers) {
    let cumulative = 0;
    LATENCY_BUCKETS_S.forEach((le, i) => {
      cumulative += x.c.buckets[i];
      out.push(`switchyard_request_duration_seconds_bucket{${of(x)},le="${le}"} ${cumulative}`);
    });
    cumulative += x.c.buckets[LATENCY_BUCKETS_S.length];
    out.push(`switchyard_request_duration_seconds_bucket{${of(x)},le="+Inf"} ${cumulative}`);
    out.push(`switchyard_request_duration_seconds_sum{${of(x)}} ${x.c.latencySumS}`);
    out.push(`switchyard_request_duration_seconds_count{${of(x)}} ${cumulative}`);
  }

  family('switchyard_in_flight_requests', 'gauge', 'Requests in flight to each server.');
  for (const x of servers) out.push(`switchyard_in_flight_requests{${of(x)}} ${x.s.active_connections}`);
  family('switchyard_open_websockets', 'gauge', 'WebSockets open to each server (also counted in switchyard_in_flight_requests).');
  for (const x of servers) out.push(`switchyard_open_websockets{${of(x)}} ${x.s.open_websockets}`);
  family('switchyard_up', 'gauge', '1 when the server is healthy and takes requests, else 0.');
  for (const x of servers) out.push(`switchyard_up{${of(x)}} ${x.s.status === 'healthy' && !x.s.ejected_until ? 1 : 0}`);
  family('switchyard_circuit_state', 'gauge', 'Circuit breaker state per server: 1 for the current state.');
  for (const x of servers) for (const state of ['closed', 'open', 'half_open']) out.push(`switchyard_circuit_state{${of(x)},state="${state}"} ${x.s.circuit === state ? 1 : 0}`);
  family('switchyard_health_transitions_total', 'counter', 'Health, ejection and circuit transitions per server.');
  for (const x of servers) out.push(`switchyard_health_transitions_total{${of(x)}} ${x.c.transitions}`);
  const sticky = servers.filter((x) => report.services[x.service].sessions !== null);
  if (sticky.length) {
    family('switchyard_sticky_sessions', 'gauge', 'Live sticky sessions on each server seen by this instance.');
    for (const x of sticky) out.push(`switchyard_sticky_sessions{${of(x)}} ${x.s.sessions}`);
  }
  if (report.routes.length) {
    family('switchyard_route_requests_total', 'counter', 'Requests each route matched (a split: per service it sent them to).');
    for (const r of report.routes) {
      if (r.split) for (const m of r.split) out.push(`switchyard_route_requests_total{route="${label(r.name)}",service="${label(m.service)}"} ${m.requests}`);
      else out.push(`switchyard_route_requests_total{route="${label(r.name)}",service="${label(r.service ?? '')}"} ${r.requests}`);
    }
  }
  family('switchyard_shed_total', 'counter', 'Requests refused by load shedding (shed_percent), by service.');
  for (const svc of Object.values(report.services)) out.push(`switchyard_shed_total{service="${label(svc.name)}"} ${svc.shed}`);
  family('switchyard_queue_length', 'gauge', 'Requests waiting for a server below its max_conns, by service.');
  for (const svc of Object.values(report.services)) out.push(`switchyard_queue_length{service="${label(svc.name)}"} ${svc.queue.length}`);
  family('switchyard_queue_timeouts_total', 'counter', 'Requests answered 503 after waiting queue_timeout, by service.');
  for (const svc of Object.values(report.services)) out.push(`switchyard_queue_timeouts_total{service="${label(svc.name)}"} ${svc.queue.timed_out}`);
  family('switchyard_queue_wait_seconds', 'summary', 'Time requests waited in the queue (served, timed out or gone), by service.');
  for (const svc of Object.values(report.services)) {
    const q = balancer.services.get(svc.name)!.queue.stats();
    out.push(`switchyard_queue_wait_seconds_sum{service="${label(svc.name)}"} ${q.waitSecondsSum}`, `switchyard_queue_wait_seconds_count{service="${label(svc.name)}"} ${q.waitCount}`);
  }
  const limit = (r: { name: string }) => `limit="${label(r.name)}"`;
  if (report.rate_limits.length) {
    family('switchyard_rate_limit_allowed_total', 'counter', 'Requests each rate limit let through.');
    for (const r of report.rate_limits) out.push(`switchyard_rate_limit_allowed_total{${limit(r)}} ${r.allowed}`);
    family('switchyard_rate_limit_refused_total', 'counter', 'Requests each rate limit refused (429).');
    for (const r of report.rate_limits) out.push(`switchyard_rate_limit_refused_total{${limit(r)}} ${r.refused}`);
  }
  if (report.concurrency_limits.length) {
    family('switchyard_concurrency_in_progress', 'gauge', 'Requests in progress under each max_concurrent cap.');
    for (const r of report.concurrency_limits) out.push(`switchyard_concurrency_in_progress{${limit(r)}} ${r.in_progress}`);
    family('switchyard_concurrency_refused_total', 'counter', 'Requests each max_concurrent cap refused (429).');
    for (const r of report.concurrency_limits) out.push(`switchyard_concurrency_refused_total{${limit(r)}} ${r.refused}`);
  }
  family('switchyard_retries_total', 'counter', 'Extra attempts made on other servers.');
  out.push(`switchyard_retries_total ${balancer.totals.retries}`);
  family('switchyard_compressed_responses_total', 'counter', 'Response bodies compressed for the client (compression), by encoding.');
  for (const e of CONTENT_CODINGS) out.push(`switchyard_compressed_responses_total{encoding="${e}"} ${balancer.totals.compressed.get(e)?.responses ?? 0}`);
  family('switchyard_compression_in_bytes_total', 'counter', 'Bytes of those bodies as the servers sent them, by encoding.');
  for (const e of CONTENT_CODINGS) out.push(`switchyard_compression_in_bytes_total{encoding="${e}"} ${balancer.totals.compressed.get(e)?.bytesIn ?? 0}`);
  family('switchyard_compression_out_bytes_total', 'counter', 'Bytes of those bodies as the clients received them, by encoding.');
  for (const e of CONTENT_CODINGS) out.push(`switchyard_compression_out_bytes_total{encoding="${e}"} ${balancer.totals.compressed.get(e)?.bytesOut ?? 0}`);
  family('switchyard_healthy_servers', 'gauge', 'Servers healthy and not draining, by service.');
  for (const svc of Object.values(report.services)) out.push(`switchyard_healthy_servers{service="${label(svc.name)}"} ${svc.healthy_servers}`);
  family('switchyard_log_lines_dropped_total', 'counter', 'Access-log and debug lines dropped because the log destination could not keep up.');
  out.push(`switchyard_log_lines_dropped_total ${balancer.log.droppedLines?.() ?? 0}`);
  family('switchyard_uptime_seconds', 'gauge', 'Seconds since this instance started.');
  out.push(`switchyard_uptime_seconds ${report.uptime}`);
  return `${out.join('\n')}\n`;
}
