/** Renders rows as a fixed-width text table with a header rule; the first `left` columns align left, the rest right. Pure. */
export function table(header: string[], rows: Array<Array<string | number>>, left = 1): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export interface ServerLike {
  status: string;
  weight: number;
  active_connections: number;
  /** Of active_connections, open WebSockets (absent from a balancer older than WebSockets). */
  open_websockets?: number;
  requests: number;
  errors: number;
  avg_response_time_ms: number;
  p99_ms: number;
  circuit?: string;
}

/** A service's figures as `/api/stats` reports them under `services`. */
export interface ServiceLike {
  algorithm: string;
  total_requests: number;
  failed_requests: number;
  error_rate: number;
  requests_per_second: number;
  healthy_servers: number;
  total_servers: number;
  servers: Record<string, ServerLike>;
}

export interface StatsLike {
  algorithm: string;
  uptime: number;
  total_requests: number;
  failed_requests: number;
  error_rate: number;
  requests_per_second: number;
  healthy_servers: number;
  total_servers: number;
  /** The default service's servers. */
  servers: Record<string, ServerLike>;
  /** Every service by name (absent from a balancer older than services). */
  services?: Record<string, ServiceLike>;
}

export interface ViewOptions {
  /** Show this service only (its figures, its servers). */
  service?: string;
}

/** Thrown by `monitorView` for a `service` the balancer does not have. */
export class UnknownService extends Error {}

const DEFAULT_SERVICE = 'default';

/**
 * Seed 001's terminal view of `/api/stats`: totals, then one row per server.
 * With several services: a line per service above the server table, which
 * gains a service column. With `service`: that service's figures and servers
 * only. Pure.
 */
export function monitorView(s: StatsLike, url: string, at: Date, opts: ViewOptions = {}): string {
  const services: Record<string, ServiceLike> = s.services ?? { [DEFAULT_SERVICE]: s };
  const time = at.toISOString().slice(11, 19);
  const totals = (t: Omit<ServiceLike, 'servers' | 'algorithm'>) =>
    `servers ${t.healthy_servers}/${t.total_servers} healthy   requests ${t.total_requests}   failed ${t.failed_requests} (${t.error_rate}%)   ${t.requests_per_second} req/s`;
  const serverRow = (id: string, v: ServerLike) => [id, v.status, v.weight, v.open_websockets ? `${v.active_connections} (${v.open_websockets} ws)` : v.active_connections, v.requests, v.errors, `${v.avg_response_time_ms} ms`, `${v.p99_ms} ms`, v.circuit ?? '-'];
  const header = ['server', 'health', 'weight', 'active', 'requests', 'errors', 'avg', 'p99', 'circuit'];

  if (opts.service !== undefined) {
    const svc = services[opts.service];
    if (!svc) throw new UnknownService(`no service ${JSON.stringify(opts.service)} (services: ${Object.keys(services).join(', ') || 'none'})`);
    const head = [`Switchyard ${url}  ${time}  service ${opts.service}  algorithm ${svc.algorithm}  uptime ${s.uptime}s`, totals(svc), ''];
    return head.join('\n') + table(header, Object.entries(svc.servers).map(([id, v]) => serverRow(id, v)));
  }

  const head = [`Switchyard ${url}  ${time}  algorithm ${s.algorithm}  uptime ${s.uptime}s`, totals(s), ''];
  const names = Object.keys(services);
  // Only the default service (every config from before services): the view it always was.
  if (names.length === 1 && names[0] === DEFAULT_SERVICE) return head.join('\n') + table(header, Object.entries(services[DEFAULT_SERVICE].servers).map(([id, v]) => serverRow(id, v)));

  const perService = table(
    ['service', 'algorithm', 'healthy', 'requests', 'failed', 'req/s'],
    names.map((n) => {
      const v = services[n];
      return [n, v.algorithm, `${v.healthy_servers}/${v.total_servers}`, v.total_requests, `${v.failed_requests} (${v.error_rate}%)`, v.requests_per_second];
    }),
    2,
  );
  const rows = names.flatMap((n) => Object.entries(services[n].servers).map(([id, v]) => [n, ...serverRow(id, v)]));
  // Two tables: a blank line before each.
  return `${head.join('\n')}\n${perService}\n\n${table(['service', ...header], rows, 2)}`;
}
