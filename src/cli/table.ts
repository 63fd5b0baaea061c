/** Renders rows as a fixed-width text table with a header rule. Pure. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
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
  servers: Record<string, { status: string; weight: number; active_connections: number; requests: number; errors: number; avg_response_time_ms: number; p99_ms: number; circuit?: string }>;
}

/** Seed 001's terminal view of `/api/stats`: totals, then one row per server. */
export function monitorView(s: StatsLike, url: string, at: Date): string {
  const head = [
    `Switchyard ${url}  ${at.toISOString().slice(11, 19)}  algorithm ${s.algorithm}  uptime ${s.uptime}s`,
    `servers ${s.healthy_servers}/${s.total_servers} healthy   requests ${s.total_requests}   failed ${s.failed_requests} (${s.error_rate}%)   ${s.requests_per_second} req/s`,
    '',
  ];
  const rows = Object.entries(s.servers).map(([id, v]) => [id, v.status, v.weight, v.active_connections, v.requests, v.errors, `${v.avg_response_time_ms} ms`, `${v.p99_ms} ms`, v.circuit ?? '-']);
  return head.join('\n') + table(['server', 'health', 'weight', 'active', 'requests', 'errors', 'avg', 'p99', 'circuit'], rows);
}
