/**
 * Store `edge`: the Workers rate-limit binding (`[[ratelimits]]` in
 * wrangler.toml). Cloudflare counts per location and approximately, over the
 * binding's own `limit` and `period` (10 or 60 s), which wrangler.toml fixes:
 * the config's rate must match them. The binding says only allowed or not.
 */
import type { Logger } from '../core/log.ts';
import type { RateLimitConfig } from './config.ts';
import { failOpen, storeLog } from './fail-open.ts';
import { RateLimitStoreUnavailableError, STORE_EXACTNESS, type RateLimitBinding, type RateLimitBindings, type RateLimitStore, type RateVerdict } from './types.ts';

/** What `limit.binding` must be, as a config error says it. */
const needs = (binding: string) => `"edge" needs the ${binding} rate-limit binding (Cloudflare Workers; declared in wrangler.toml [[ratelimits]])`;

const isBinding = (b: unknown): b is RateLimitBinding => typeof (b as RateLimitBinding | undefined)?.limit === 'function';

/**
 * The `edge` store over `bindings.edge`: each `take` asks the binding named by
 * `limit.binding` about the limit's name and `key` (one call, no count kept here). Allowed or not
 * is all it knows: `remaining` and `resetMs` stay unknown and a refusal's
 * `retryAfterMs` is the period. A call that throws allows the request (fails
 * open, logged once per outage). Throws `RateLimitStoreUnavailableError` when
 * the runtime offers no rate-limit bindings at all; `check` throws it for a
 * limit whose binding is missing.
 */
export function edgeRateLimitStore(bindings: RateLimitBindings, options: { log?: Logger } = {}): RateLimitStore & { readonly failedOpen: number } {
  const edge = bindings.edge;
  if (!edge) throw new RateLimitStoreUnavailableError(needs('SWITCHYARD_RATE_LIMIT'));
  const outage = failOpen('edge', options.log ?? storeLog());
  return {
    name: 'edge',
    exactness: STORE_EXACTNESS.edge,
    get failedOpen() {
      return outage.failedOpen;
    },
    check(limit: RateLimitConfig) {
      if (!isBinding(edge(limit.binding))) throw new RateLimitStoreUnavailableError(needs(limit.binding));
    },
    async take(limit: RateLimitConfig, key: string): Promise<RateVerdict> {
      try {
        const binding = edge(limit.binding);
        if (!isBinding(binding)) throw new RateLimitStoreUnavailableError(needs(limit.binding));
        // One count per limit and key, as every store keeps them: limits may share a binding.
        const { success } = await binding.limit({ key: `${limit.name}\n${key}` });
        outage.answered(limit.name);
        return success ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs: limit.periodMs };
      } catch (e) {
        return outage.failed(limit.name, e);
      }
    },
  };
}
