import autocannon from 'autocannon';
import { flags, num, UsageError } from './args.ts';
import { table } from './table.ts';

export const LOADTEST_HELP = `Usage: switchyard loadtest --url URL [--requests N] [--concurrency C] [--duration SECONDS] [--header NAME]

Sends load (autocannon) with a progress bar, then prints requests/s, latency p50/p90/p99/max,
status counts and how requests spread across backends (read from the served-by header).
  --url URL          what to load, e.g. http://127.0.0.1:8080/ (required)
  --requests N       stop after N requests (default 1000 when no --duration)
  --concurrency C    connections in parallel (default 10)
  --duration S       run for S seconds instead of a request count
  --header NAME      response header naming the backend (default X-Served-By)`;

export interface LoadReport {
  requests: number;
  duration_s: number;
  requests_per_second: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, number>;
  errors: number;
  backends: Record<string, number>;
}

/** Runs the load and returns the figures (also used by tests). */
export function runLoadTest(opts: { url: string; requests?: number; concurrency: number; duration?: number; header: string; progress: boolean }): Promise<LoadReport> {
  const backends: Record<string, number> = {};
  const header = opts.header.toLowerCase();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.concurrency,
        ...(opts.duration ? { duration: opts.duration } : { amount: opts.requests ?? 1000 }),
        requests: [
          {
            onResponse: (_status: number, _body: string, _ctx: object, headers?: Record<string, string | string[] | undefined>) => {
              const v = headers?.[header];
              const key = (Array.isArray(v) ? v[0] : v) ?? '(none)';
              backends[key] = (backends[key] ?? 0) + 1;
            },
          },
        ],
      },
      (err: Error | null, r: autocannon.Result) => {
        if (err) return reject(err);
        const statuses: Record<string, number> = {};
        for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = (s as { count: number }).count;
        resolve({
          requests: r.requests.total,
          duration_s: r.duration,
          requests_per_second: Math.round(r.requests.average),
          latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
          statuses,
          errors: r.errors + r.timeouts,
          backends,
        });
      },
    );
    autocannon.track(instance, { renderProgressBar: opts.progress, renderResultsTable: false, renderLatencyTable: false });
  });
}

export async function loadtest(argv: string[], out: (s: string) => void): Promise<void> {
  const { values } = flags(argv, { url: { type: 'string' }, requests: { type: 'string' }, concurrency: { type: 'string' }, duration: { type: 'string' }, header: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) return out(LOADTEST_HELP);
  if (!values.url || !/^https?:\/\//.test(values.url)) throw new UsageError(`--url: an http(s) URL is required, got ${JSON.stringify(values.url ?? '')}`);
  const r = await runLoadTest({
    url: values.url,
    requests: num('requests', values.requests, 1000, 1, 10_000_000),
    concurrency: num('concurrency', values.concurrency, 10, 1, 10_000),
    duration: values.duration === undefined ? undefined : num('duration', values.duration, 10, 1, 3600),
    header: values.header ?? 'X-Served-By',
    progress: !values.json && Boolean(process.stderr.isTTY),
  });
  if (values.json) return out(JSON.stringify(r));
  const total = Object.values(r.backends).reduce((a, b) => a + b, 0) || 1;
  out(
    [
      `${r.requests} requests in ${r.duration_s.toFixed(1)} s: ${r.requests_per_second} req/s, ${r.errors} errors`,
      `latency p50 ${r.latency_ms.p50} ms   p90 ${r.latency_ms.p90} ms   p99 ${r.latency_ms.p99} ms   max ${r.latency_ms.max} ms`,
      `status ${Object.entries(r.statuses).map(([k, v]) => `${k}: ${v}`).join('   ') || '(none)'}`,
      '',
      table(['backend', 'requests', 'share'], Object.entries(r.backends).sort().map(([k, v]) => [k, v, `${((v / total) * 100).toFixed(1)}%`])),
    ].join('\n'),
  );
}
