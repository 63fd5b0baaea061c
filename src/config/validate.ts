import * as v from 'valibot';
import type { Config, ServerConfig } from './types.ts';
import { problemLine, problemsOf } from './issues.ts';
import { serverAddress, serverSpec } from './server.ts';
import { parseJson } from './json.ts';
import { canonicalAlgorithm } from '../policies/registry.ts';
import { FileSchema, type FileOutput } from './schema.ts';

/**
 * Parses config file text: the object, or one line naming `label`, line and
 * column for a JSON syntax error, or saying the top level must be an object.
 */
export function parseConfigText(label: string, text: string): { ok: true; raw: Record<string, unknown> } | { ok: false; error: string } {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, error: `${label}:${parsed.error.line}:${parsed.error.column}: invalid JSON: ${parsed.error.message}` };
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return { ok: false, error: `${label}: must be a JSON object` };
  return { ok: true, raw: parsed.value as Record<string, unknown> };
}

/**
 * Validates a raw config object with the one schema, fills defaults and
 * rejects duplicate servers. Each problem is one line prefixed with
 * `sourceOf(path)` (where the value came from). Never throws on input.
 */
export function validateConfig(raw: unknown, sourceOf: (path: string) => string): { ok: true; config: Config } | { ok: false; errors: string[] } {
  const result = v.safeParse(FileSchema, raw);
  if (!result.success) {
    return { ok: false, errors: problemsOf(result.issues).map((p) => `${sourceOf(p.path)}: ${problemLine(p)}`) };
  }
  const config = normalise(result.output);
  const dup = duplicates(config.servers);
  if (dup.length) return { ok: false, errors: dup.map((d) => `${sourceOf('servers')}: ${d}`) };
  return { ok: true, config };
}

/** `servers[j]: duplicates servers[i] (host:port)` for each repeated server. */
function duplicates(servers: ServerConfig[]): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  servers.forEach((s, j) => {
    const id = serverAddress(s.url).id;
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
    algorithm: canonicalAlgorithm(f.load_balancer?.algorithm ?? 'round_robin'),
    servers: (f.servers ?? []).map(serverSpec),
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
    sticky:
      f.sticky && f.sticky.enabled !== false
        ? { cookie: f.sticky.cookie ?? 'SWITCHYARD_SERVER', ttlMs: f.sticky.ttl ?? 3_600_000, secure: f.sticky.secure ?? false, sameSite: f.sticky.same_site ?? 'Lax', ...(f.sticky.secret ? { secret: f.sticky.secret } : {}) }
        : null,
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
