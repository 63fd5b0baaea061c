import { canonicalAlgorithm } from '../policies/registry.ts';
import { backendTls } from './backend-tls.ts';
import { compressionSettings } from './compression-schema.ts';
import { POOL_SECTIONS } from './pool-schema.ts';
import type { ServiceInput } from './schema.ts';
import { serverSpec } from './server.ts';
import { DEFAULT_SERVICE } from './service-name.ts';
import { NO_LIMITS, trafficLimits } from './traffic-schema.ts';
import type { PoolSettings, ServiceConfig } from './types.ts';
import { websocketSettings } from './websocket-schema.ts';

/**
 * A service's settings as it gives them over those it inherits: each setting
 * it leaves unset is the top level's, field by field within a section
 * (`"health_check": {"path": "/healthz"}` keeps the inherited interval).
 */
export function inherit(top: ServiceInput, own: ServiceInput): ServiceInput {
  const out: Record<string, unknown> = { ...top, ...own };
  for (const k of POOL_SECTIONS) if (top[k] && own[k]) out[k] = { ...top[k], ...own[k] };
  // seed 004's `retries` is `fall` by another name: a service's own one overrides an inherited `fall`.
  if (own.health_check?.retries !== undefined && own.health_check.fall === undefined && out.health_check) {
    const { fall: _inherited, ...hc } = out.health_check as NonNullable<ServiceInput['health_check']>;
    out.health_check = hc;
  }
  return out as ServiceInput;
}

/**
 * The service `name` with `own` settings over `top`. A service other than the
 * default that inherits the sticky cookie's name gets `_NAME` after it, so two
 * services' sessions never share (and overwrite) one cookie.
 */
export function resolveService(name: string, top: ServiceInput, own: ServiceInput): ServiceConfig {
  const settings = poolSettings(inherit(top, own));
  if (settings.sticky && name !== DEFAULT_SERVICE && own.sticky?.cookie === undefined) {
    settings.sticky = { ...settings.sticky, cookie: `${settings.sticky.cookie}_${name}` };
  }
  return { name, servers: (own.servers ?? []).map(serverSpec), ...settings, limits: trafficLimits(own, `service:${name}`) };
}

/** Fills defaults and converts pool settings to the core's shape (milliseconds, camelCase). */
export function poolSettings(p: ServiceInput): PoolSettings {
  const hc = p.health_check ?? {};
  const ch = p.consistent_hash ?? {};
  return {
    algorithm: canonicalAlgorithm(p.algorithm ?? 'round_robin'),
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
      enabled: p.passive_health?.enabled ?? true,
      maxFails: p.passive_health?.max_fails ?? 1,
      failTimeoutMs: p.passive_health?.fail_timeout ?? 10_000,
      onStatus: p.passive_health?.on_status ?? [502, 503, 504],
      maxEjectionPercent: p.passive_health?.max_ejection_percent ?? 50,
      maxEjectionMs: p.passive_health?.max_ejection_time ?? 300_000,
    },
    circuitBreaker: {
      enabled: p.circuit_breaker?.enabled ?? true,
      failureThreshold: p.circuit_breaker?.failure_threshold ?? 5,
      openMs: p.circuit_breaker?.open_duration ?? 10_000,
      halfOpenRequests: p.circuit_breaker?.half_open_requests ?? 1,
    },
    retryOn: {
      reset: (p.retry_on ?? ['reset', 'timeout']).includes('reset'),
      timeout: (p.retry_on ?? ['reset', 'timeout']).includes('timeout'),
      statuses: (p.retry_on ?? []).filter((x): x is number => typeof x === 'number'),
    },
    tryDurationMs: p.try_duration ?? 0,
    backoff: { baseMs: p.retry_backoff?.base ?? 0, maxMs: p.retry_backoff?.max ?? 1_000 },
    retryBudget: { percent: p.retry_budget?.budget_percent ?? 20, minPerSecond: p.retry_budget?.min_retries_per_second ?? 3 },
    slowStartMs: p.slow_start ?? 0,
    sticky:
      p.sticky && p.sticky.enabled !== false
        ? { cookie: p.sticky.cookie ?? 'SWITCHYARD_SERVER', ttlMs: p.sticky.ttl ?? 3_600_000, secure: p.sticky.secure ?? false, sameSite: p.sticky.same_site ?? 'Lax', ...(p.sticky.secret ? { secret: p.sticky.secret } : {}) }
        : null,
    panicThreshold: p.panic_threshold ?? 0,
    consistentHash: {
      virtualNodes: ch.virtual_nodes ?? 150,
      hashFunction: ch.hash_function ?? 'fnv1a',
      key: ch.key ?? 'path',
      ...(ch.balance_factor ? { balanceFactor: ch.balance_factor } : {}),
    },
    timeoutMs: p.timeout ?? 10_000,
    retries: p.retries ?? 2,
    replayBufferBytes: p.replay_buffer ?? 64 * 1024,
    queue: { maxQueue: p.max_queue ?? 100, timeoutMs: p.queue_timeout ?? 10_000 },
    shedPercent: p.shed_percent ?? 0,
    priority: p.priority ? { header: p.priority.header.toLowerCase(), low: p.priority.low } : null,
    compression: compressionSettings(p),
    limits: NO_LIMITS,
    websocket: websocketSettings(p.websocket),
    backendTls: backendTls(p.tls),
  };
}
