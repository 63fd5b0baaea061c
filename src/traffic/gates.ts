/**
 * The gates of one scope (the balancer, a route, a service) from its limits:
 * its concurrency cap first (a request it refuses spends no rate allowance),
 * then each rate limit in order.
 */
import type { Logger } from '../core/log.ts';
import { problemResponse } from '../core/problems.ts';
import type { RequestDone } from '../core/respond.ts';
import type { Totals } from '../core/stats.ts';
import type { TrafficLimits } from './config.ts';
import { ConcurrencyGate } from './concurrency.ts';
import type { LimitCounters } from './counters.ts';
import { RateLimitGate, type Refuse } from './rate-limit.ts';
import type { RateLimitStores } from './stores.ts';
import { RateLimitStoreUnavailableError, type Gate } from './types.ts';

/** Where a scope's refusals are counted and logged. */
export interface LimitScope {
  /** `global`, `route:NAME` or `service:NAME` (as `/api/stats` names it). */
  label: string;
  /** The service the access log names (`-` when none is known yet). */
  service: string;
  /** The totals a refusal is counted into (a service's count into the balancer's too). */
  totals: Totals;
}

/** What the gates take from the balancer: its stores and counters (balancer-wide, by limit name), its log. */
export interface LimitDeps {
  stores: RateLimitStores;
  counters: LimitCounters;
  log: Logger;
  /** The access log. */
  onDone?: (entry: RequestDone) => void;
}

/**
 * The gates for `limits` in `scope`. A refusal is a 429 problem+json, counted
 * in the scope's totals (as answered by the balancer, not failed) and written
 * to the access log. A rate limit whose store this runtime cannot keep (one
 * that reached the services document from elsewhere; start-up and the API
 * refuse them) is left out, logged: it fails open, as a store that cannot
 * answer does.
 */
export function limitGates(limits: TrafficLimits, scope: LimitScope, deps: LimitDeps): Gate[] {
  const refuse: Refuse = (request, info, problem, headers, now) => {
    const res = problemResponse(problem, headers as Array<[string, string]>);
    scope.totals.count(true, now);
    scope.totals.answered(problem.status);
    deps.onDone?.({ request, clientIp: info.clientIp, service: scope.service, status: problem.status, server: null, attempts: 0, startedAt: now, durationMs: 0, bytes: Number(res.headers.get('content-length') ?? 0) });
    return res;
  };
  const gates: Gate[] = [];
  const cap = limits.maxConcurrent;
  if (cap) gates.push(new ConcurrencyGate(cap, deps.counters.concurrencyOf(scope.label, cap.name), refuse));
  for (const limit of limits.rateLimits) {
    try {
      gates.push(new RateLimitGate(limit, deps.stores.for(limit), deps.counters.rateOf(limit.name), refuse));
    } catch (e) {
      if (!(e instanceof RateLimitStoreUnavailableError)) throw e;
      deps.log.warn('rate limit not applied: its store is not available here', { limit: limit.name, scope: scope.label, store: limit.store, error: e.message });
    }
  }
  return gates;
}
