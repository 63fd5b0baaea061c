/**
 * What the limits have counted, balancer-wide: kept by limit name (a rate
 * limit) or scope and name (a concurrency cap), so a change to routes or
 * services that keeps a limit keeps its counts and its requests in progress.
 */
import type { TrafficLimits } from './config.ts';

/** One rate limit's decisions (this process or isolate). */
export interface RateCounts {
  allowed: number;
  refused: number;
}

/** One concurrency cap's requests in progress, per key (a key at 0 is deleted: memory follows the requests in progress). */
export interface ConcurrencyCounts {
  readonly perKey: Map<string, number>;
  inProgress: number;
  refused: number;
}

const capId = (scope: string, name: string) => `${scope}\n${name}`;

export class LimitCounters {
  private readonly rate = new Map<string, RateCounts>();
  private readonly concurrency = new Map<string, ConcurrencyCounts>();

  /** The counts of the rate limit `name`. */
  rateOf(name: string): RateCounts {
    let c = this.rate.get(name);
    if (!c) this.rate.set(name, (c = { allowed: 0, refused: 0 }));
    return c;
  }

  /** The counts of the concurrency cap `name` of scope `scope`. */
  concurrencyOf(scope: string, name: string): ConcurrencyCounts {
    const id = capId(scope, name);
    let c = this.concurrency.get(id);
    if (!c) this.concurrency.set(id, (c = { perKey: new Map(), inProgress: 0, refused: 0 }));
    return c;
  }

  /** Forgets the counts of limits not in `scopes` (a cap with requests in progress stays until they end). */
  retain(scopes: ReadonlyArray<{ scope: string; limits: TrafficLimits }>): void {
    const rateNames = new Set(scopes.flatMap((s) => s.limits.rateLimits.map((r) => r.name)));
    const capIds = new Set(scopes.flatMap((s) => (s.limits.maxConcurrent ? [capId(s.scope, s.limits.maxConcurrent.name)] : [])));
    for (const name of this.rate.keys()) if (!rateNames.has(name)) this.rate.delete(name);
    for (const [id, c] of this.concurrency) if (!capIds.has(id) && c.inProgress === 0) this.concurrency.delete(id);
  }
}
