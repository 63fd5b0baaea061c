/**
 * The one place rate-limit stores are listed, by the config's `store` name,
 * and built from what the runtime offers (`RateLimitBindings`).
 */
import { rateLimitPath } from '../config/traffic-schema.ts';
import type { Config } from '../config/types.ts';
import type { Logger } from '../core/log.ts';
import type { RateLimitConfig, RateLimitStoreName, TrafficLimits } from './config.ts';
import { durableObjectRateLimitStore } from './durable-object-store.ts';
import { edgeRateLimitStore } from './edge-store.ts';
import { memoryRateLimitStore } from './memory-store.ts';
import { RateLimitStoreUnavailableError, type RateLimitBindings, type RateLimitStore } from './types.ts';

/** Builds a store over the runtime's bindings; throws `RateLimitStoreUnavailableError` when the runtime cannot offer it. */
type StoreFactory = (bindings: RateLimitBindings, options: { log?: Logger }) => RateLimitStore;

/** Every rate-limit store, by the name `rate_limit.store` gives it. */
export const RATE_LIMIT_STORES: Record<RateLimitStoreName, StoreFactory> = {
  memory: () => memoryRateLimitStore(),
  edge: edgeRateLimitStore,
  durable_object: durableObjectRateLimitStore,
};

/**
 * One balancer's stores, each built the first time a limit names it and kept
 * (the memory store's buckets outlive route and service changes).
 */
export class RateLimitStores {
  private readonly built = new Map<RateLimitStoreName, RateLimitStore>();
  private readonly bindings: RateLimitBindings;
  private readonly log: Logger | undefined;

  constructor(bindings: RateLimitBindings = {}, log?: Logger) {
    this.bindings = bindings;
    this.log = log;
  }

  /** The store `limit` counts in; throws `RateLimitStoreUnavailableError` when this runtime cannot keep its counts. */
  for(limit: RateLimitConfig): RateLimitStore {
    let store = this.built.get(limit.store);
    if (!store) {
      store = RATE_LIMIT_STORES[limit.store](this.bindings, { log: this.log });
      this.built.set(limit.store, store);
    }
    store.check?.(limit);
    return store;
  }

  /** `PATH.store: WHY` for each limit of `scopes` this runtime cannot keep (`PATH` as the config or API body spells it). */
  problems(scopes: ReadonlyArray<{ path: string; limits: TrafficLimits }>): Array<{ path: string; message: string; input: string }> {
    const out: Array<{ path: string; message: string; input: string }> = [];
    for (const { path, limits } of scopes) {
      limits.rateLimits.forEach((r, i) => {
        try {
          this.for(r);
        } catch (e) {
          if (!(e instanceof RateLimitStoreUnavailableError)) throw e;
          const at = `${rateLimitPath(path, i, limits.rateLimits.length)}.store`;
          out.push({ path: at, message: e.message, input: r.store });
        }
      });
    }
    return out;
  }
}

/** Every scope of a config with its limits, by the path the config file spells it. */
export function configLimitScopes(config: Config): Array<{ path: string; limits: TrafficLimits }> {
  return [
    { path: '', limits: config.globalLimits },
    ...config.services.map((s) => ({ path: `services.${s.name}`, limits: s.limits })),
    ...config.routes.flatMap((r, i) => (r.limits ? [{ path: `routes[${i}]`, limits: r.limits }] : [])),
  ];
}

/**
 * The config's rate limits this runtime cannot keep, one line each
 * (`rate_limit.store: "edge" needs the ... binding (...)`): a start-up config
 * error on every runtime.
 */
export function rateLimitStoreProblems(config: Config, bindings: RateLimitBindings = {}): string[] {
  return new RateLimitStores(bindings).problems(configLimitScopes(config)).map((p) => `${p.path}: ${p.message}`);
}
