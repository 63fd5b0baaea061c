import type { Algorithm } from '../policies/registry.ts';
import type { HashFunctionName } from '../policies/types.ts';
import type { RouteConfig } from '../routing/route-config.ts';
import type { StoreName } from '../storage/registry.ts';
import type { ServiceInput } from './schema.ts';
import type { ServerConfig } from './server.ts';
import type { TlsConfig } from './tls-schema.ts';
import type { BackendTls } from './backend-tls.ts';
import type { WebSocketSettings } from './websocket-schema.ts';
import type { CompressionConfig } from './compression-schema.ts';
import type { ConcurrencyConfig, LimitKey, RateLimitConfig, RateLimitStoreName, TrafficLimits } from '../traffic/config.ts';

export type { ConcurrencyConfig, LimitKey, RateLimitConfig, RateLimitStoreName, TrafficLimits };

export type { BackendTls, RouteConfig, ServerConfig, TlsConfig };

export type { Algorithm };

/** Sticky-session settings (`sticky` in the config). */
export interface StickyConfig {
  /** Cookie name. */
  cookie: string;
  /** Idle time after which a session ends (the cookie's Max-Age, renewed while in use). */
  ttlMs: number;
  secure: boolean;
  sameSite: 'Lax' | 'Strict' | 'None';
  /** Signs the cookie's server token (HMAC-SHA-256); unset: `Config.stickySecret`, else one shared through the store or made at start. */
  secret?: string;
}

/**
 * The settings of one pool of servers (a service): the top level of a config
 * sets them for the default service and as what every service inherits.
 * Durations are milliseconds here; the file, env and flags speak seconds.
 */
export interface PoolSettings {
  algorithm: Algorithm;
  healthCheck: {
    enabled: boolean;
    path: string;
    intervalMs: number;
    timeoutMs: number;
    /** Consecutive successes to come back. */
    rise: number;
    /** Consecutive failures to go down (seed 004's `retries`). */
    fall: number;
    /** Accepted statuses as inclusive ranges, e.g. `[[200, 399]]`. */
    expectedStatus: Array<[number, number]>;
    method: string;
    /** Substring the body must contain, or `/regex/flags`. */
    expectedBody?: string;
    headers: Record<string, string>;
    /** Interval while a server is changing state (HAProxy `fastinter`). */
    fastIntervalMs: number;
    /** Interval while a server is down (HAProxy `downinter`). */
    downIntervalMs: number;
    /** Each server's next check is spread by ± this fraction of its interval. */
    jitter: number;
    initialState: 'healthy' | 'unhealthy';
  };
  /** Outlier detection on real traffic (nginx max_fails/fail_timeout, Envoy ejection). */
  passive: {
    enabled: boolean;
    maxFails: number;
    failTimeoutMs: number;
    /** Response statuses that count as failures (errors and timeouts always do). */
    onStatus: number[];
    maxEjectionPercent: number;
    /** Cap on the growing ejection time. */
    maxEjectionMs: number;
  };
  circuitBreaker: {
    enabled: boolean;
    /** Consecutive failures that open the circuit. */
    failureThreshold: number;
    openMs: number;
    /** Trial requests let through while half open. */
    halfOpenRequests: number;
  };
  /** What a retry is tried for, beyond connect errors (always retried). */
  retryOn: { reset: boolean; timeout: boolean; statuses: number[] };
  /** Longest time spent on one request across attempts (0: no limit). */
  tryDurationMs: number;
  backoff: { baseMs: number; maxMs: number };
  retryBudget: { percent: number; minPerSecond: number };
  /** A server that comes back ramps its weight from ~0 to full over this long (0: off). */
  slowStartMs: number;
  /** Cookie-based session persistence; null when off. */
  sticky: StickyConfig | null;
  /** Below this percentage of healthy servers, balance over all of them (0: off: answer 503). */
  panicThreshold: number;
  consistentHash: {
    virtualNodes: number;
    hashFunction: HashFunctionName;
    key: string;
    balanceFactor?: number;
  };
  /** Per-attempt timeout (time to response headers). */
  timeoutMs: number;
  /** Extra attempts on other servers after the first fails. */
  retries: number;
  /** Largest request body kept for replay on retry. */
  replayBufferBytes: number;
  /**
   * Requests that find every eligible server at its `max_conns` wait here, at
   * most `maxQueue` of them, each for at most `timeoutMs` (HAProxy `maxqueue`,
   * `timeout queue`); past either they get 503.
   */
  queue: { maxQueue: number; timeoutMs: number };
  /** Percent of new requests refused with 503 (Cloudflare's pool load shedding); 0: none. The services document may override it at run time. */
  shedPercent: number;
  /** Requests whose `header` holds one of the `low` values are low priority: shed first, queued behind the rest. Null: every request is alike. */
  priority: { header: string; low: string[] } | null;
  /** Which responses are compressed for clients (`compression`); null when off. */
  compression: CompressionConfig | null;
  /** The service's own rate limits and concurrency cap (a service's `rate_limit`, `max_concurrent`; never inherited). */
  limits: TrafficLimits;
  /** WebSocket drain, idle and message limits (`websocket`). */
  websocket: WebSocketSettings;
  /** How `https://` servers' certificates are checked (`tls`); null: the runtime's default trust store, for the URL's host. */
  backendTls: BackendTls | null;
}

/** Limits on client connections, applied by each runtime's server (and the core where the runtime cannot). */
export interface ListenLimits {
  /** Longest time a client may take to send a request's headers. */
  headerTimeoutMs: number;
  /** Longest time a keep-alive connection may sit idle between requests. */
  idleTimeoutMs: number;
  /** Most client connections open at once; past it new ones are refused. */
  maxConnections: number;
  /** Largest request body accepted (413 past it); 0: no limit. */
  maxBodyBytes: number;
}

/** One service: a named pool with its own settings (inherited where it set none). */
export interface ServiceConfig extends PoolSettings {
  name: string;
  servers: ServerConfig[];
}


/**
 * The validated, normalised configuration every entry hands to `createApp`.
 * Its pool settings and `servers` are the default service's, and what every
 * other service inherits.
 */
export interface Config extends PoolSettings {
  host: string;
  port: number;
  /** What the listener allows a client connection (nginx client_header_timeout, keepalive_timeout, worker_connections, client_max_body_size). */
  listen: ListenLimits;
  /** TLS termination on the listener (`load_balancer.ssl`); absent: plain HTTP. */
  tls?: TlsConfig;
  /** The default service's servers. */
  servers: ServerConfig[];
  /** Limits on every proxied request, before routing: the top level's `rate_limit` and `max_concurrent` (the default service's own `limits` are none). */
  globalLimits: TrafficLimits;
  /** Whether there is a default service: yes unless `services` are given without top-level `servers`. */
  defaultService: boolean;
  /** The named services, settings resolved. */
  services: ServiceConfig[];
  routes: RouteConfig[];
  /** The top-level settings as validated, for resolving services made at run time the same way. */
  inherited: ServiceInput;
  /** Response header naming the serving backend; `''` turns it off. */
  servedByHeader: string;
  admin: {
    prefix: string;
    /** Bearer token for writes; unset: writes only from loopback clients. */
    token?: string;
    /** Host names the admin API answers to besides the listen address and localhost (guards against DNS rebinding when no token is set). */
    allowedHosts: string[];
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** One line per request to stdout (at info level): `json`, Apache `combined`, or `off`. */
  accessLog: 'off' | 'json' | 'combined';
  /** Origins allowed to call the API from a browser (`*`: any); empty: no CORS headers. */
  corsOrigins: string[];
  /** Where shared state lives: `memory` (one process), or on Workers `kv` / `durable_object`. */
  storage: StoreName;
  /** The sticky signing secret from the environment (`LB_STICKY_SECRET`), for every service without its own. */
  stickySecret?: string;
}
