/** What `/api/stats` shows of the limits, and how `GET /api/routes` shows a route's (snake_case). */
import type { ConcurrencyConfig, RateLimitConfig, RateLimitStoreName, TrafficLimits } from './config.ts';
import type { LimitCounters } from './counters.ts';
import { rateText } from './keys.ts';
import { STORE_EXACTNESS, type Exactness } from './types.ts';

export interface RateLimitReport {
  name: string;
  /** `global`, `route:NAME` or `service:NAME`. */
  scope: string;
  key: string;
  /** As the config spells it: `10/s`. */
  rate: string;
  burst: number;
  store: RateLimitStoreName;
  exactness: Exactness;
  /** Whether allowed responses carry the RateLimit headers. */
  headers: boolean;
  /** Requests it let through / refused (this process or isolate). */
  allowed: number;
  refused: number;
}

export interface ConcurrencyLimitReport {
  name: string;
  scope: string;
  key: string;
  limit: number;
  in_progress: number;
  refused: number;
}

export interface LimitsReport {
  rate_limits: RateLimitReport[];
  concurrency_limits: ConcurrencyLimitReport[];
}

/** Every scope's limits with what they counted. */
export function limitsReport(scopes: ReadonlyArray<{ scope: string; limits: TrafficLimits }>, counters: LimitCounters): LimitsReport {
  const out: LimitsReport = { rate_limits: [], concurrency_limits: [] };
  for (const { scope, limits } of scopes) {
    for (const r of limits.rateLimits) {
      const c = counters.rateOf(r.name);
      out.rate_limits.push({ name: r.name, scope, key: r.keyText, rate: rateText(r.limit, r.periodMs), burst: r.burst, store: r.store, exactness: STORE_EXACTNESS[r.store], headers: r.headers, allowed: c.allowed, refused: c.refused });
    }
    const m = limits.maxConcurrent;
    if (m) {
      const c = counters.concurrencyOf(scope, m.name);
      out.concurrency_limits.push({ name: m.name, scope, key: m.keyText, limit: m.limit, in_progress: c.inProgress, refused: c.refused });
    }
  }
  return out;
}

/** A rate limit as the config writes it. */
const rateLimitSetting = (r: RateLimitConfig) => ({
  name: r.name,
  key: r.keyText,
  rate: rateText(r.limit, r.periodMs),
  burst: r.burst,
  store: r.store,
  ...(r.store === 'edge' ? { binding: r.binding } : {}),
  exempt: [...r.exempt],
  headers: r.headers,
});

const concurrencySetting = (m: ConcurrencyConfig) => ({ name: m.name, key: m.keyText, limit: m.limit, exempt: [...m.exempt] });

/** A scope's limits as the config writes them: `rate_limit` (a list) and `max_concurrent` (null when none). */
export function limitSettings(limits: TrafficLimits | undefined): { rate_limit: Array<ReturnType<typeof rateLimitSetting>>; max_concurrent: ReturnType<typeof concurrencySetting> | null } {
  return { rate_limit: (limits?.rateLimits ?? []).map(rateLimitSetting), max_concurrent: limits?.maxConcurrent ? concurrencySetting(limits.maxConcurrent) : null };
}
