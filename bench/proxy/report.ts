/**
 * The figures per contender and body (medians over the rounds), the one table, and the JSON the
 * run writes (snake_case). Pure: rounds in, rows out.
 */
import type { LoadResult } from './load.ts';

export interface Window extends LoadResult {
  /** CPU time of the proxy's process tree over the window ÷ requests. */
  cpuUsPerRequest: number;
  /** Its tree's VmHWM after the window. */
  peakRssBytes: number;
}

export interface Row {
  id: string;
  label: string;
  runtime: string;
  floor: boolean;
  body: string;
  rps: number;
  /** req/s ÷ its runtime's floor's (same body); undefined where there is no floor. */
  xFloor?: number;
  /** req/s ÷ nginx's (same body); undefined without nginx. */
  xNginx?: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  peakRssMb: number;
  errors: number;
  rounds: Window[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface Measured {
  id: string;
  label: string;
  runtime: string;
  floor: boolean;
  body: string;
  rounds: Window[];
}

/** Medians per contender and body, with the ratios to its floor and to nginx on the same body. */
export function rows(measured: Measured[]): Row[] {
  const base = measured.map((m) => ({
    id: m.id,
    label: m.label,
    runtime: m.runtime,
    floor: m.floor,
    body: m.body,
    rps: median(m.rounds.map((r) => r.rps)),
    p50Ms: median(m.rounds.map((r) => r.p50Ms)),
    p99Ms: median(m.rounds.map((r) => r.p99Ms)),
    cpuUsPerRequest: median(m.rounds.map((r) => r.cpuUsPerRequest)),
    peakRssMb: Math.max(...m.rounds.map((r) => r.peakRssBytes)) / 2 ** 20,
    errors: m.rounds.reduce((n, r) => n + r.errors, 0),
    rounds: m.rounds,
  }));
  return base.map((r) => {
    const floor = base.find((f) => f.floor && f.runtime === r.runtime && f.body === r.body);
    const nginx = base.find((f) => f.id === 'nginx' && f.body === r.body);
    return { ...r, xFloor: floor ? r.rps / floor.rps : undefined, xNginx: nginx ? r.rps / nginx.rps : undefined };
  });
}

const fixed = (x: number | undefined, digits: number) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));
const thousands = (x: number) => Math.round(x).toLocaleString('en-US');

/** One Markdown table (pastes into the README as it is), bodies one after the other. */
export function table(all: Row[]): string {
  const head = ['proxy', 'body', 'req/s', '× floor', '× nginx', 'p50 ms', 'p99 ms', 'CPU µs/req', 'peak RSS MB', 'errors'];
  const right = [false, false, true, true, true, true, true, true, true, true];
  const cells = all.map((r) => [
    r.floor ? r.label : r.id.startsWith('switchyard') ? `**${r.label}**` : r.label,
    r.body,
    thousands(r.rps),
    fixed(r.xFloor, 2),
    fixed(r.xNginx, 2),
    fixed(r.p50Ms, 2),
    fixed(r.p99Ms, 1),
    fixed(r.cpuUsPerRequest, 0),
    fixed(r.peakRssMb, 0),
    String(r.errors),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (right[i] ? x.padStart(width[i]) : x.padEnd(width[i]))).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), rule, ...cells.map(line)].join('\n');
}

/** The JSON a run writes: settings, machine facts, skipped contenders and every row with its rounds. */
export function json(meta: Record<string, unknown>, skipped: Array<{ id: string; reason: string }>, all: Row[]): string {
  const round = (w: Window) => ({
    requests: w.requests,
    seconds: w.seconds,
    rps: w.rps,
    p50_ms: w.p50Ms,
    p99_ms: w.p99Ms,
    errors: w.errors,
    cpu_us_per_request: w.cpuUsPerRequest,
    peak_rss_bytes: w.peakRssBytes,
  });
  const results = all.map((r) => ({
    id: r.id,
    label: r.label,
    runtime: r.runtime,
    floor: r.floor,
    body: r.body,
    rps: r.rps,
    x_floor: r.xFloor ?? null,
    x_nginx: r.xNginx ?? null,
    p50_ms: r.p50Ms,
    p99_ms: r.p99Ms,
    cpu_us_per_request: r.cpuUsPerRequest,
    peak_rss_mb: r.peakRssMb,
    errors: r.errors,
    rounds: r.rounds.map(round),
  }));
  return `${JSON.stringify({ ...meta, skipped, results }, null, 2)}\n`;
}
