/**
 * A rate limit as a gate: each request takes one from its key's allowance in
 * the limit's store; past it, 429 problem+json with `Retry-After` and the
 * RateLimit headers. Exempt client addresses pass uncounted.
 */
import type { Problem } from '../core/problems.ts';
import type { RequestInfo } from '../core/types.ts';
import { isPromise } from './admit.ts';
import { inAnyRange } from './cidr.ts';
import type { RateLimitConfig } from './config.ts';
import type { RateCounts } from './counters.ts';
import { rateLimitHeaders, retryAfterS } from './headers.ts';
import { limitKeyOf, rateText } from './keys.ts';
import type { Admission, Gate, RateLimitStore, RateVerdict } from './types.ts';

/** Answers a refused request (counts and logs it like any answer); from the gate factory. */
export type Refuse = (request: Request, info: RequestInfo, problem: Problem, headers: ReadonlyArray<readonly [string, string]>, now: number) => Response;

const PASS: Admission = Object.freeze({});

/** The 429 problem of a request over `limit`. */
export function rateLimitedProblem(limit: RateLimitConfig, verdict: RateVerdict, path?: string): Problem {
  const rate = rateText(limit.limit, limit.periodMs);
  const wait = retryAfterS(verdict.retryAfterMs);
  return {
    type: 'urn:switchyard:problem:rate-limited',
    title: 'Too many requests',
    status: 429,
    detail: `Rate limit ${limit.name} (${rate}, burst ${limit.burst}, per ${limit.keyText}) refused this request; retry in ${wait} s.`,
    limit: limit.name,
    rate,
    burst: limit.burst,
    key: limit.keyText,
    retry_after_s: wait,
    ...(path ? { instance: path } : {}),
  };
}

/** The path of a request's URL, when it has one. */
export function pathOf(request: Request): string | undefined {
  try {
    return new URL(request.url).pathname;
  } catch {
    return undefined;
  }
}

/** One rate limit's gate, counting in `store` and into `counts`. Synchronous when the store is. */
export class RateLimitGate implements Gate {
  readonly limit: RateLimitConfig;
  private readonly store: RateLimitStore;
  private readonly counts: RateCounts;
  private readonly refuse: Refuse;
  private readonly exempt: ((ip: string) => boolean) | undefined;

  constructor(limit: RateLimitConfig, store: RateLimitStore, counts: RateCounts, refuse: Refuse) {
    this.limit = limit;
    this.store = store;
    this.counts = counts;
    this.refuse = refuse;
    this.exempt = limit.exempt.length ? inAnyRange(limit.exempt) : undefined;
  }

  admit(request: Request, info: RequestInfo, now: number): Admission | Promise<Admission> {
    if (this.exempt?.(info.clientIp)) return PASS;
    const v = this.store.take(this.limit, limitKeyOf(this.limit.key, request, info), now);
    return isPromise(v) ? v.then((x) => this.decide(x, request, info, now)) : this.decide(v, request, info, now);
  }

  private decide(v: RateVerdict, request: Request, info: RequestInfo, now: number): Admission {
    if (v.allowed) {
      this.counts.allowed++;
      return this.limit.headers ? { headers: rateLimitHeaders(this.limit, v) } : PASS;
    }
    this.counts.refused++;
    return { refused: this.refuse(request, info, rateLimitedProblem(this.limit, v, pathOf(request)), rateLimitHeaders(this.limit, v), now) };
  }
}
