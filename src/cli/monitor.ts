import { flags, num, UsageError } from './args.ts';
import { monitorView, UnknownService, type StatsLike } from './table.ts';

export const MONITOR_HELP = `Usage: switchyard monitor [--url URL] [--prefix PATH] [--service NAME] [--interval SECONDS] [--once]
       switchyard monitor add-server HOST:PORT|URL [--weight N] [--service NAME] [--url URL] [--prefix PATH] [--token T]
       switchyard monitor remove-server HOST:PORT [--service NAME] [--url URL] [--prefix PATH] [--token T]
       switchyard monitor drain HOST:PORT [--undo] [--service NAME] [--url URL] [--prefix PATH] [--token T]

Shows the balancer's PREFIX/stats as a table refreshed in place (Ctrl-C quits), or changes servers.
With several services: a line per service, and a service column in the server table.
  --url URL        the balancer (default http://127.0.0.1:8080)
  --prefix PATH    its admin prefix, admin.prefix in its config (default /api)
  --service NAME   show only this service; for writes, the service whose servers change
                   (default: the default service, through PREFIX/servers)
  --interval S     refresh every S seconds, 1-60 (default 2)
  --once           print once and exit (for scripts)
  --token T        admin token for writes (default: env LB_ADMIN_TOKEN)`;

/** `--prefix`: a path such as /api or /_lb (no trailing slash; "/" for none). */
function prefixOf(value: string | undefined): string {
  const p = value ?? '/api';
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(p)) throw new UsageError(`--prefix: must be a path starting with /, such as /api, got ${JSON.stringify(p)}`);
  return p.replace(/\/+$/, '');
}

async function call(base: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new UsageError(`cannot reach ${base}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`);
  }
  const data = (await res.json().catch(() => ({}))) as { detail?: string; errors?: string[] };
  if (!res.ok) throw new UsageError(`${method} ${path}: ${res.status} ${data.detail ?? ''}${data.errors ? ` ${data.errors.join('; ')}` : ''}`.trim());
  return data;
}

/** `switchyard monitor ...`; resolves when done (never, while watching). */
export async function monitor(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = flags(argv, {
    url: { type: 'string' },
    prefix: { type: 'string' },
    service: { type: 'string' },
    interval: { type: 'string' },
    once: { type: 'boolean' },
    token: { type: 'string' },
    weight: { type: 'string' },
    undo: { type: 'boolean' },
  }, true);
  if (values.help) return out(MONITOR_HELP);
  const url = (values.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const prefix = prefixOf(values.prefix);
  const base = `${url}${prefix}`;
  const token = values.token ?? process.env.LB_ADMIN_TOKEN;
  const service = values.service;
  if (service !== undefined && !service) throw new UsageError('--service: needs a service name');
  const [action, target] = positionals;
  if (action) {
    if (!target) throw new UsageError(`monitor ${action}: needs a server (HOST:PORT)`);
    // The default service keeps its old address, so this works against any balancer; a named one has its own.
    const servers = service === undefined ? '/servers' : `/services/${encodeURIComponent(service)}/servers`;
    const where = service === undefined ? target : `${target} in ${service}`;
    if (action === 'add-server') {
      const weight = num('weight', values.weight, 1, 0.001, 1000);
      const body = /^https?:\/\//.test(target) ? { url: target, weight } : { host: target.replace(/:\d+$/, ''), port: Number(target.split(':').pop()), weight };
      await call(base, 'POST', servers, token, body);
      return out(`added ${where}`);
    }
    if (action === 'remove-server') {
      await call(base, 'DELETE', `${servers}/${target}`, token);
      return out(`removed ${where}`);
    }
    if (action === 'drain') {
      await call(base, 'PATCH', `${servers}/${target}`, token, { drain: !values.undo });
      return out(`${values.undo ? 'undrained' : 'draining'} ${where}`);
    }
    throw new UsageError(`monitor: unknown command ${JSON.stringify(action)} (add-server, remove-server, drain)`);
  }
  const interval = num('interval', values.interval, 2, 1, 60);
  const show = async () => {
    // Under a wrong prefix the request goes to a backend: a 404, or some other document than the stats.
    const hint = `is ${prefix || '/'} its admin prefix? see --prefix`;
    const stats = await call(base, 'GET', '/stats', undefined).catch((e: Error) => {
      throw /: 404\b/.test(e.message) ? new UsageError(`${e.message} (${hint})`) : e;
    });
    const s = stats as Partial<StatsLike> | null;
    if (typeof s?.total_requests !== 'number' || typeof s.servers !== 'object' || s.servers === null) throw new UsageError(`GET /stats: ${base}/stats is not Switchyard's statistics (${hint})`);
    try {
      return monitorView(stats as StatsLike, url, new Date(), { service });
    } catch (e) {
      throw e instanceof UnknownService ? new UsageError(`--service: ${e.message}`) : e;
    }
  };
  if (values.once) return out(await show());
  for (;;) {
    const view = await show().catch((e: Error) => `(${e.message}; retrying)`);
    out(`\x1b[2J\x1b[H${view}\n\nrefresh ${interval}s · Ctrl-C quits`);
    await new Promise((r) => setTimeout(r, interval * 1000));
  }
}
