/**
 * Store `durable_object`: one Durable Object per limit and key (by
 * `idFromName`), which decides every request of its key in one place: exact
 * and global, at the cost of a round trip to the object per request.
 */
import type { Logger } from '../core/log.ts';
import type { RateLimitConfig } from './config.ts';
import { failOpen, storeLog } from './fail-open.ts';
import { RateLimitStoreUnavailableError, STORE_EXACTNESS, type RateLimitBindings, type RateLimitStore, type RateVerdict } from './types.ts';

/** The object that keeps `key`'s counts under `limit`: the limit's name and the key, on separate lines. */
export const rateLimitObjectName = (limit: string, key: string): string => `${limit}\n${key}`;

/**
 * The `durable_object` store over `bindings.durableObject` (resolved per
 * call: a stub belongs to one request). Each `take` is one RPC to the key's
 * object, `take({limit, periodMs, burst}, now)`. A failed call allows the
 * request (fails open, logged once per outage). Throws
 * `RateLimitStoreUnavailableError` when the runtime offers no such objects.
 */
export function durableObjectRateLimitStore(bindings: RateLimitBindings, options: { log?: Logger } = {}): RateLimitStore & { readonly failedOpen: number } {
  const object = bindings.durableObject;
  if (!object) throw new RateLimitStoreUnavailableError('"durable_object" needs the SWITCHYARD_RATE_LIMITER Durable Object binding (Cloudflare Workers; declared in wrangler.toml)');
  const outage = failOpen('durable_object', options.log ?? storeLog());
  return {
    name: 'durable_object',
    exactness: STORE_EXACTNESS.durable_object,
    get failedOpen() {
      return outage.failedOpen;
    },
    async take(limit: RateLimitConfig, key: string, now: number): Promise<RateVerdict> {
      try {
        const verdict = await object(rateLimitObjectName(limit.name, key)).take({ limit: limit.limit, periodMs: limit.periodMs, burst: limit.burst }, now);
        outage.answered(limit.name);
        return verdict;
      } catch (e) {
        return outage.failed(limit.name, e);
      }
    },
  };
}
