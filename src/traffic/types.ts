/**
 * Traffic control's contracts: the stores rate limits keep their counts in,
 * what a runtime offers them, and the gate every limit is to a request.
 */
import type { RequestInfo } from '../core/types.ts';
import type { RateLimitConfig, RateLimitStoreName } from './config.ts';

/** What a rate-limit store says about one request. */
export interface RateVerdict {
  allowed: boolean;
  /** Requests the key may still make at once after this one; undefined when the store cannot tell (the edge binding). */
  remaining?: number;
  /** Milliseconds until the key's allowance is whole again (the `RateLimit` header's `t`); undefined when unknown. */
  resetMs?: number;
  /** When refused: milliseconds until a request would be allowed (`Retry-After`). */
  retryAfterMs: number;
}

/** How exact a store's counts are, as `/api/stats` says it. */
export type Exactness = 'per process' | 'per location, approximate' | 'exact';

/** How exact each store's counts are: what each store declares, and what `/api/stats` says of a limit. */
export const STORE_EXACTNESS: Record<RateLimitStoreName, Exactness> = { memory: 'per process', edge: 'per location, approximate', durable_object: 'exact' };

/**
 * Where one kind of rate limit keeps its counts. `take` spends one request
 * from `key`'s allowance under `limit` at `now`, if it has one: one call,
 * decided where the count lives, so a store across the network (a Durable
 * Object; later Redis) costs one round trip. Never rejects: a store that
 * cannot answer allows the request (fails open) and says so in its log.
 */
export interface RateLimitStore {
  readonly name: RateLimitStoreName;
  readonly exactness: Exactness;
  take(limit: RateLimitConfig, key: string, now: number): RateVerdict | Promise<RateVerdict>;
  /** Throws `RateLimitStoreUnavailableError` when this store cannot keep `limit`'s counts here (a binding it names is missing); absent: it can keep any limit. */
  check?(limit: RateLimitConfig): void;
}

/**
 * Thrown when building a store, or checking a limit against it, needs a
 * binding this runtime does not have; the message names the binding and
 * where it is declared (a config error, never a 500).
 */
export class RateLimitStoreUnavailableError extends Error {
  override name = 'RateLimitStoreUnavailableError';
}

/** The Workers rate-limit binding (`[[ratelimits]]` in wrangler.toml). */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The Durable Object that keeps the counts of one limit's key (one object per key, by `idFromName`). */
export interface RateLimitObjectStub {
  take(limit: { limit: number; periodMs: number; burst: number }, now: number): Promise<RateVerdict>;
}

/** What a runtime offers the rate-limit stores: Workers bindings at the edge, nothing elsewhere. */
export interface RateLimitBindings {
  /** The rate-limit binding of that name; undefined when the Worker has none. */
  edge?: (binding: string) => RateLimitBinding | undefined;
  /** The object for `name` (called per use: a stub belongs to one request). */
  durableObject?: (name: string) => RateLimitObjectStub;
}

/** One check's answer: refused (this response is the answer), or let through (a place to give back when the request is done, headers for its response). */
export type Admission = { refused: Response } | { refused?: undefined; release?: () => void; headers?: ReadonlyArray<readonly [string, string]> };

/** One check a request passes to enter a scope (the balancer, a route, a service): a rate limit, a concurrency cap, load shedding. */
export interface Gate {
  admit(request: Request, info: RequestInfo, now: number): Admission | Promise<Admission>;
}
