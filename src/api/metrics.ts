import type { Balancer } from '../core/balancer.ts';
import { LATENCY_BUCKETS_S } from '../core/stats.ts';

/** Escapes a label value for the Prometheus text format. */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * The Prometheus text exposition (version 0.0.4) of this instance's counters:
 * requests by server and status class, a latency histogram per server,
 * in-flight, up, circuit state, health transitions and retries.
 */
export async function renderMetrics(balancer: Balancer): Promise<string> {
  const report = await balancer.status();
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const servers = Object.values(report.servers);

  family('switchyard_requests_total', 'counter', 'Responses from each server, by status class.');
  for (const s of servers) {
    const c = balancer.records.get(s.id);
    for (let k = 1; k <= 5; k++) out.push(`switchyard_requests_total{server="${label(s.id)}",code="${k}xx"} ${c.statusClasses[k]}`);
  }
  family('switchyard_generated_responses_total', 'counter', 'Responses the balancer made itself (no server answered), by status.');
  for (const status of [502, 503, 504]) out.push(`switchyard_generated_responses_total{code="${status}"} ${balancer.totals.generated.get(status) ?? 0}`);

  family('switchyard_request_duration_seconds', 'histogram', 'Time to response headers from each server.');
  for (const s of servers) {
    const c = balancer.records.get(s.id);
    let cumulative = 0;
    LATENCY_BUCKETS_S.forEach((le, i) => {
      cumulative += c.buckets[i];
      out.push(`switchyard_request_duration_seconds_bucket{server="${label(s.id)}",le="${le}"} ${cumulative}`);
    });
    cumulative += c.buckets[LATENCY_BUCKETS_S.length];
    out.push(`switchyard_request_duration_seconds_bucket{server="${label(s.id)}",le="+Inf"} ${cumulative}`);
    out.push(`switchyard_request_duration_seconds_sum{server="${label(s.id)}"} ${c.latencySumS}`);
    out.push(`switchyard_request_duration_seconds_count{server="${label(s.id)}"} ${cumulative}`);
  }

  family('switchyard_in_flight_requests', 'gauge', 'Requests in flight to each server.');
  for (const s of servers) out.push(`switchyard_in_flight_requests{server="${label(s.id)}"} ${s.active_connections}`);
  family('switchyard_up', 'gauge', '1 when the server is healthy and takes requests, else 0.');
  for (const s of servers) out.push(`switchyard_up{server="${label(s.id)}"} ${s.status === 'healthy' && !s.ejected_until ? 1 : 0}`);
  family('switchyard_circuit_state', 'gauge', 'Circuit breaker state per server: 1 for the current state.');
  for (const s of servers) {
    for (const state of ['closed', 'open', 'half_open']) out.push(`switchyard_circuit_state{server="${label(s.id)}",state="${state}"} ${s.circuit === state ? 1 : 0}`);
  }
  family('switchyard_health_transitions_total', 'counter', 'Health, ejection and circuit transitions per server.');
  for (const s of servers) out.push(`switchyard_health_transitions_total{server="${label(s.id)}"} ${balancer.records.get(s.id).transitions}`);
  if (report.sessions !== null) {
    family('switchyard_sticky_sessions', 'gauge', 'Live sticky sessions on each server seen by this instance.');
    for (const s of servers) out.push(`switchyard_sticky_sessions{server="${label(s.id)}"} ${s.sessions}`);
  }
  family('switchyard_retries_total', 'counter', 'Extra attempts made on other servers.');
  out.push(`switchyard_retries_total ${balancer.totals.retries}`);
  family('switchyard_healthy_servers', 'gauge', 'Servers healthy and not draining.');
  out.push(`switchyard_healthy_servers ${report.healthy_servers}`);
  family('switchyard_uptime_seconds', 'gauge', 'Seconds since this instance started.');
  out.push(`switchyard_uptime_seconds ${report.uptime}`);
  return `${out.join('\n')}\n`;
}
