import type { Balancer } from '../src/core/balancer.ts';
import { servedBy } from '../src/core/respond.ts';
import type { CounterDelta } from './env.ts';

/** How often an isolate sends its counters to the Durable Object, at most. */
export const REPORT_EVERY_MS = 2_000;

/**
 * Batches an isolate's counters for the Durable Object: `take` returns what
 * was counted since the last report, at most once per interval, else undefined.
 */
export function counterReporter(balancer: Balancer, now: () => number = Date.now) {
  let sent: CounterDelta = { total: 0, successful: 0, failed: 0, servers: {} };
  let lastAt = 0;
  return {
    take(force = false): CounterDelta | undefined {
      const t = now();
      if (!force && t - lastAt < REPORT_EVERY_MS) return undefined;
      const { totals } = balancer;
      const current: CounterDelta = { total: totals.total, successful: totals.successful, failed: totals.failed, servers: {} };
      const delta: CounterDelta = {
        total: current.total - sent.total,
        successful: current.successful - sent.successful,
        failed: current.failed - sent.failed,
        servers: {},
      };
      for (const svc of balancer.services.values()) {
        for (const b of svc.pool.backends) {
          const key = servedBy(svc.name, b.id);
          const c = svc.records.get(b.id);
          current.servers[key] = { requests: c.requests, errors: c.errors };
          const before = sent.servers[key] ?? { requests: 0, errors: 0 };
          const d = { requests: c.requests - before.requests, errors: c.errors - before.errors };
          if (d.requests || d.errors) delta.servers[key] = d;
        }
      }
      if (delta.total === 0 && Object.keys(delta.servers).length === 0) return undefined;
      sent = current;
      lastAt = t;
      return delta;
    },
  };
}
