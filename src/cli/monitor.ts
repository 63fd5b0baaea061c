import { flags, num, UsageError } from './args.ts';
import { monitorView, type StatsLike } from './table.ts';

export const MONITOR_HELP = `Usage: switchyard monitor [--url URL] [--interval SECONDS] [--once]
       switchyard monitor add-server HOST:PORT|URL [--weight N] [--url URL] [--token T]
       switchyard monitor remove-server HOST:PORT [--url URL] [--token T]
       switchyard monitor drain HOST:PORT [--undo] [--url URL] [--token T]

Shows the balancer's /api/stats as a table refreshed in place (Ctrl-C quits), or changes servers.
  --url URL        the balancer (default http://127.0.0.1:8080; the admin prefix is /api)
  --interval S     refresh every S seconds, 1-60 (default 2)
  --once           print once and exit (for scripts)
  --token T        admin token for writes (default: env LB_ADMIN_TOKEN)`;

async function call(url: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${url}/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new UsageError(`cannot reach ${url}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`);
  }
  const data = (await res.json().catch(() => ({}))) as { detail?: string; errors?: string[] };
  if (!res.ok) throw new UsageError(`${method} ${path}: ${res.status} ${data.detail ?? ''}${data.errors ? ` ${data.errors.join('; ')}` : ''}`.trim());
  return data;
}

/** `switchyard monitor ...`; resolves when done (never, while watching). */
export async function monitor(argv: string[], out: (s: string) => void): Promise<void> {
  const { values, positionals } = flags(argv, {
    url: { type: 'string' },
    interval: { type: 'string' },
    once: { type: 'boolean' },
    token: { type: 'string' },
    weight: { type: 'string' },
    undo: { type: 'boolean' },
  }, true);
  if (values.help) return out(MONITOR_HELP);
  const url = (values.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = values.token ?? process.env.LB_ADMIN_TOKEN;
  const [action, target] = positionals;
  if (action) {
    if (!target) throw new UsageError(`monitor ${action}: needs a server (HOST:PORT)`);
    if (action === 'add-server') {
      const weight = num('weight', values.weight, 1, 0.001, 1000);
      const body = /^https?:\/\//.test(target) ? { url: target, weight } : { host: target.replace(/:\d+$/, ''), port: Number(target.split(':').pop()), weight };
      await call(url, 'POST', '/servers', token, body);
      return out(`added ${target}`);
    }
    if (action === 'remove-server') {
      await call(url, 'DELETE', `/servers/${target}`, token);
      return out(`removed ${target}`);
    }
    if (action === 'drain') {
      await call(url, 'PATCH', `/servers/${target}`, token, { drain: !values.undo });
      return out(`${values.undo ? 'undrained' : 'draining'} ${target}`);
    }
    throw new UsageError(`monitor: unknown command ${JSON.stringify(action)} (add-server, remove-server, drain)`);
  }
  const interval = num('interval', values.interval, 2, 1, 60);
  const show = async () => monitorView((await call(url, 'GET', '/stats', undefined)) as StatsLike, url, new Date());
  if (values.once) return out(await show());
  for (;;) {
    const view = await show().catch((e: Error) => `(${e.message}; retrying)`);
    out(`\x1b[2J\x1b[H${view}\n\nrefresh ${interval}s · Ctrl-C quits`);
    await new Promise((r) => setTimeout(r, interval * 1000));
  }
}
