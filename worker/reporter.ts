import type { Balancer } from '../src/core/balancer.ts';
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
      const { totals, records } = balancer;
      const current: CounterDelta = { total: totals.total, successful: totals.successful, failed: totals.failed, servers: {} };
      const delta: CounterDelta = {
        total: current.total - sent.total,
        successful: current.successful - sent.successful,
        failed: current.failed - sent.failed,
        servers: {},
      };
      for (const b of balancer.state.pool.backends) {
        const c = records.get(b.id);
        current.servers[b.id] = { requests: c.requests, errors: c.errors };
        const before = sent.servers[b.id] ?? { requests: 0, errors: 0 };
        const d = { requests: c.requests - before.requests, errors: c.errors - before.errors };
        if (d.requests || d.errors) delta.servers[b.id] = d;
      }
      if (delta.total === 0 && Object.keys(delta.servers).length === 0) return undefined;
      sent = current;
      lastAt = t;
      return delta;
    },
  };
}
