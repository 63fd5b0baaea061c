import * as v from 'valibot';
import type { Config, ServerConfig } from './types.ts';
import { HELP } from './help.ts';
import { problemLine, problemsOf } from './issues.ts';
import { parseJson } from './json.ts';
import { ALGORITHMS, FileSchema, type FileOutput } from './schema.ts';
import { parseArgs, type Flags } from './flags.ts';

export interface ResolveInput {
  argv: string[];
  env: Record<string, string | undefined>;
  readFile: (path: string) => Promise<string>;
}

export type Resolved =
  | { ok: true; config: Config; demo: boolean }
  | { ok: true; help: string }
  | { ok: false; errors: string[] };

/** Env variables and the file path each one sets (seeds 003 and 004). */
const ENV: Array<[string, string[]]> = [
  ['LB_HOST', ['load_balancer', 'host']],
  ['LB_PORT', ['load_balancer', 'port']],
  ['LB_ALGORITHM', ['load_balancer', 'algorithm']],
  ['LB_ADMIN_TOKEN', ['admin', 'token']],
  ['LOG_LEVEL', ['log_level']],
  ['HEALTH_CHECK_INTERVAL', ['health_check', 'interval']],
  ['MAX_RETRIES', ['retries']],
  ['TIMEOUT', ['timeout']],
];

/** Every environment variable the configuration reads. */
export const ENV_VARS = ['LB_CONFIG', ...ENV.map(([name]) => name)];

/** A numeric-looking string becomes a number, so `LB_PORT=8080` validates as a port. */
const numeric = (s: string): string | number => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : s);

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof o[key] !== 'object' || o[key] === null || Array.isArray(o[key])) o[key] = {};
    o = o[key] as Record<string, unknown>;
  }
  o[path[path.length - 1]] = value;
}

/**
 * Builds the configuration from flags > env > file > defaults, validating all
 * of it with one schema. Every problem is one line naming its source (file,
 * `env NAME` or `flag --name`), the path and the value. Never throws on input.
 */
export async function resolveConfig(input: ResolveInput): Promise<Resolved> {
  const env = Object.fromEntries(Object.entries(input.env).filter(([, val]) => val !== undefined && val !== '')) as Record<string, string>;
  const args = parseArgs(input.argv);
  if (!args.ok) return { ok: false, errors: args.errors };
  const flags: Flags = args.flags;
  if (flags.help) return { ok: true, help: HELP };

  const errors: string[] = [];
  // Sources by path prefix, for naming where a bad value came from.
  const sources: Array<[string, string]> = [];
  let raw: Record<string, unknown> = {};
  const file = flags.config ?? env.LB_CONFIG;
  if (file) {
    const label = file;
    let text: string | undefined;
    try {
      text = await input.readFile(file);
    } catch (e) {
      errors.push(`${flags.config ? 'flag --config' : 'env LB_CONFIG'}: cannot read config file ${JSON.stringify(file)}: ${(e as { code?: string }).code ?? (e as Error).message}`);
    }
    if (text !== undefined) {
      const parsed = parseJson(text);
      if (!parsed.ok) errors.push(`${label}:${parsed.error.line}:${parsed.error.column}: invalid JSON: ${parsed.error.message}`);
      else if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) errors.push(`${label}: must be a JSON object`);
      else raw = parsed.value as Record<string, unknown>;
    }
    sources.push(['', label]);
  }
  for (const [name, path] of ENV) {
    if (env[name] === undefined) continue;
    setPath(raw, path, name === 'LB_HOST' || name === 'LB_ADMIN_TOKEN' || name === 'LB_ALGORITHM' || name === 'LOG_LEVEL' ? env[name] : numeric(env[name]));
    sources.push([path.join('.'), `env ${name}`]);
  }
  const flagPaths: Array<[keyof Flags, string[]]> = [
    ['host', ['load_balancer', 'host']],
    ['port', ['load_balancer', 'port']],
    ['algorithm', ['load_balancer', 'algorithm']],
    ['access-log', ['access_log']],
  ];
  for (const [name, path] of flagPaths) {
    const value = flags[name];
    if (value === undefined) continue;
    setPath(raw, path, name === 'port' ? numeric(String(value)) : value);
    sources.push([path.join('.'), `flag --${name}`]);
  }
  if (flags.servers) {
    try {
      const parsed = parseJson(await input.readFile(flags.servers));
      if (!parsed.ok) errors.push(`${flags.servers}:${parsed.error.line}:${parsed.error.column}: invalid JSON: ${parsed.error.message}`);
      else raw.servers = parsed.value;
      sources.push(['servers', `flag --servers ${flags.servers}`]);
    } catch (e) {
      errors.push(`flag --servers: cannot read ${JSON.stringify(flags.servers)}: ${(e as { code?: string }).code ?? (e as Error).message}`);
    }
  }
  if (flags.backend.length) {
    raw.servers = flags.backend.map((b) => {
      const m = /^(.*)=([^/=]*)$/.exec(b);
      return m ? { url: m[1], weight: numeric(m[2]) } : { url: b };
    });
    sources.push(['servers', 'flag --backend']);
  }
  if (errors.length) return { ok: false, errors };

  const sourceOf = (path: string) => {
    let best = sources.find(([p]) => p === '')?.[1] ?? 'config';
    let len = -1;
    for (const [p, label] of sources) {
      if (p && (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) && p.length > len) {
        best = label;
        len = p.length;
      }
    }
    return best;
  };
  const result = v.safeParse(FileSchema, raw);
  if (!result.success) {
    return { ok: false, errors: problemsOf(result.issues).map((p) => `${sourceOf(p.path)}: ${problemLine(p)}`) };
  }
  const config = normalise(result.output);
  const dup = duplicates(config.servers);
  if (dup.length) return { ok: false, errors: dup.map((d) => `${sourceOf('servers')}: ${d}`) };
  return { ok: true, config, demo: config.servers.length === 0 };
}

/** `servers[j]: duplicates servers[i] (host:port)` for each repeated server. */
function duplicates(servers: ServerConfig[]): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  servers.forEach((s, j) => {
    const u = new URL(s.url);
    const id = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
    const i = seen.get(id);
    if (i !== undefined) out.push(`servers[${j}]: duplicates servers[${i}] (${id}), got ${JSON.stringify(s.url)}`);
    else seen.set(id, j);
  });
  return out;
}

/** Fills defaults and converts the file shape to the core's `Config`. */
function normalise(f: FileOutput): Config {
  const hc = f.health_check ?? {};
  const ch = f.consistent_hash ?? {};
  return {
    host: f.load_balancer?.host ?? '127.0.0.1',
    port: f.load_balancer?.port ?? 8080,
    algorithm: ALGORITHMS[f.load_balancer?.algorithm ?? 'round_robin'],
    servers: (f.servers ?? []).map((s) => {
      const url = 'url' in s ? s.url.replace(/\/+$/, '') : `http://${s.host.includes(':') && !s.host.startsWith('[') ? `[${s.host}]` : s.host}:${s.port}`;
      return { url, weight: s.weight, backup: s.backup, ...(s.name ? { name: s.name } : {}) };
    }),
    healthCheck: {
      enabled: hc.enabled ?? true,
      path: hc.path ?? '/health',
      intervalMs: hc.interval ?? 10_000,
      timeoutMs: hc.timeout ?? 2_000,
      rise: hc.rise ?? 2,
      fall: hc.fall ?? hc.retries ?? 3,
      expectedStatus: hc.expected_status ?? [[200, 399]],
      method: hc.method ?? 'GET',
      ...(hc.expected_body !== undefined ? { expectedBody: hc.expected_body } : {}),
      headers: hc.headers ?? {},
      fastIntervalMs: hc.fast_interval ?? Math.min(hc.interval ?? 10_000, 2_000),
      downIntervalMs: hc.down_interval ?? hc.interval ?? 10_000,
      jitter: hc.jitter ?? 0.1,
      initialState: hc.initial_state ?? 'healthy',
    },
    passive: {
      enabled: f.passive_health?.enabled ?? true,
      maxFails: f.passive_health?.max_fails ?? 1,
      failTimeoutMs: f.passive_health?.fail_timeout ?? 10_000,
      onStatus: f.passive_health?.on_status ?? [502, 503, 504],
      maxEjectionPercent: f.passive_health?.max_ejection_percent ?? 50,
      maxEjectionMs: f.passive_health?.max_ejection_time ?? 300_000,
    },
    circuitBreaker: {
      enabled: f.circuit_breaker?.enabled ?? true,
      failureThreshold: f.circuit_breaker?.failure_threshold ?? 5,
      openMs: f.circuit_breaker?.open_duration ?? 10_000,
      halfOpenRequests: f.circuit_breaker?.half_open_requests ?? 1,
    },
    retryOn: {
      reset: (f.retry_on ?? ['reset', 'timeout']).includes('reset'),
      timeout: (f.retry_on ?? ['reset', 'timeout']).includes('timeout'),
      statuses: (f.retry_on ?? []).filter((x): x is number => typeof x === 'number'),
    },
    tryDurationMs: f.try_duration ?? 0,
    backoff: { baseMs: f.retry_backoff?.base ?? 0, maxMs: f.retry_backoff?.max ?? 1_000 },
    retryBudget: { percent: f.retry_budget?.budget_percent ?? 20, minPerSecond: f.retry_budget?.min_retries_per_second ?? 3 },
    slowStartMs: f.slow_start ?? 0,
    panicThreshold: f.panic_threshold ?? 0,
    consistentHash: {
      virtualNodes: ch.virtual_nodes ?? 150,
      hashFunction: ch.hash_function ?? 'fnv1a',
      key: ch.key ?? 'path',
      ...(ch.balance_factor ? { balanceFactor: ch.balance_factor } : {}),
    },
    timeoutMs: f.timeout ?? 10_000,
    retries: f.retries ?? 2,
    replayBufferBytes: f.replay_buffer ?? 64 * 1024,
    servedByHeader: f.served_by_header === false ? '' : (f.served_by_header ?? 'X-Served-By'),
    admin: { prefix: (f.admin?.prefix ?? '/api').replace(/\/+$/, '') || '/api', ...(f.admin?.token ? { token: f.admin.token } : {}) },
    logLevel: f.log_level ?? 'info',
    storage: f.storage ?? 'memory',
    accessLog: f.access_log ?? 'json',
    corsOrigins: f.cors?.origins ?? [],
  };
}
