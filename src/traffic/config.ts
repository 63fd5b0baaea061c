/** Traffic limits as the config gives them to the core (validated and normalised in `config/traffic-schema.ts`). Plain data: routes store them in the services document. */

/** What a limit counts by: the client's address, a request header's or a cookie's value, or the scope itself (one count for all). */
export type LimitKey = { by: 'ip' } | { by: 'header'; name: string } | { by: 'cookie'; name: string } | { by: 'route' };

/** Where a rate limit keeps its counts: this process, the Workers rate-limit binding, or one Durable Object per key. */
export type RateLimitStoreName = 'memory' | 'edge' | 'durable_object';

/** One rate limit (`rate_limit`): a token bucket per key, `burst` requests at once, then `limit` per `periodMs`. */
export interface RateLimitConfig {
  /** Unique in the balancer: names the limit in its 429, the RateLimit headers, stats and metrics. */
  name: string;
  key: LimitKey;
  /** The key as written (`ip`, `header:x-api-key`). */
  keyText: string;
  limit: number;
  periodMs: number;
  burst: number;
  store: RateLimitStoreName;
  /** The Workers rate-limit binding that store `edge` uses (declared in wrangler.toml). */
  binding: string;
  /** Client addresses or CIDR ranges the limit never applies to, as written. */
  exempt: string[];
  /** Requests within the limit carry `RateLimit-Policy` and `RateLimit` too (a 429 always does). */
  headers: boolean;
}

/** Requests in progress per key (`max_concurrent`, nginx `limit_conn`): past `limit`, 429. */
export interface ConcurrencyConfig {
  name: string;
  key: LimitKey;
  keyText: string;
  limit: number;
  exempt: string[];
}

/** The limits of one scope: the whole balancer, one route, or one service. */
export interface TrafficLimits {
  rateLimits: RateLimitConfig[];
  maxConcurrent: ConcurrencyConfig | null;
}
