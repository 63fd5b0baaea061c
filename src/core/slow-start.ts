import type { PolicyOptions } from '../policies/types.ts';
import type { PoolSettings } from '../config/types.ts';
import { createPool, type Pool } from './pool.ts';
import type { ServiceHealth } from './service-health.ts';
import type { Backend } from './types.ts';

/** How often a ramping pool is rebuilt with new weights. */
const STEP_MS = 250;

/**
 * Slow start: a server that came back (healthy, `since` > 0) ramps its weight
 * linearly from 5% to full over `slowStartMs`. `pool(now)` is the `base` pool,
 * or a copy with ramped weights while any server ramps (rebuilt every 250 ms).
 */
export function slowStart(config: PoolSettings, health: ServiceHealth, base: () => Pool, options: PolicyOptions) {
  let cache: { base: Pool; step: number; pool: Pool } | undefined;

  function factor(id: string, now: number): number {
    if (config.slowStartMs <= 0) return 1;
    const rec = health.record(id);
    if (!rec || rec.status !== 'healthy' || rec.since <= 0) return 1;
    const f = (now - rec.since) / config.slowStartMs;
    return f >= 1 ? 1 : Math.max(0.05, f);
  }

  return {
    /** The weight a backend has now (its configured weight, ramped during slow start). */
    weight(b: Backend, now: number): number {
      return b.weight * factor(b.id, now);
    },
    pool(now: number): Pool {
      const current = base();
      if (config.slowStartMs <= 0 || !current.backends.some((b) => factor(b.id, now) < 1)) return current;
      const step = Math.floor(now / STEP_MS);
      if (cache && cache.base === current && cache.step === step) return cache.pool;
      const ramped = current.backends.map((b) => ({ ...b, weight: b.weight * factor(b.id, now) }));
      cache = { base: current, step, pool: createPool(ramped, config.algorithm, options) };
      return cache.pool;
    },
  };
}
