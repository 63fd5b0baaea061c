import type { Balancer } from '../src/core/balancer.ts';
import { servedBy } from '../src/core/respond.ts';
import type { ServerCounters } from '../src/core/stats.ts';
import type { CounterDelta } from './env.ts';

/** How often an isolate sends its counters to the Durable Object, at most. */
export const REPORT_EVERY_MS = 2_000;

/** What was last reported of one server: its counters (the record itself) and their values then. */
interface Sent {
  record: ServerCounters;
  requests: number;
  errors: number;
}

/**
 * Batches an isolate's counters for the Durable Object: `take` returns what
 * was counted since the last report, at most once per interval, else undefined.
 *
 * A server's counts are followed by its record, not only by its key: a server
 * removed (or its service replaced) still reports what it took since the last
 * report, and one added back under the same key counts from zero, so a delta
 * is never negative (the Durable Object only adds them up).
 */
export function counterReporter(balancer: Balancer, now: () => number = Date.now) {
  let sent = { total: 0, successful: 0, failed: 0 };
  let sentServers = new Map<string, Sent>();
  let lastAt = 0;
  return {
    take(force = false): CounterDelta | undefined {
      const t = now();
      if (!force && t - lastAt < REPORT_EVERY_MS) return undefined;
      const { totals } = balancer;
      const current = { total: totals.total, successful: totals.successful, failed: totals.failed };
      const delta: CounterDelta = {
        total: current.total - sent.total,
        successful: current.successful - sent.successful,
        failed: current.failed - sent.failed,
        servers: {},
      };
      const add = (key: string, requests: number, errors: number) => {
        if (!requests && !errors) return;
        const d = (delta.servers[key] ??= { requests: 0, errors: 0 });
        d.requests += requests;
        d.errors += errors;
      };
      const next = new Map<string, Sent>();
      for (const svc of balancer.services.values()) {
        for (const b of svc.pool.backends) {
          const key = servedBy(svc.name, b.id);
          const record = svc.records.get(b.id);
          next.set(key, { record, requests: record.requests, errors: record.errors });
        }
      }
      // Every record seen last time or now: what each counted since it was last reported.
      for (const key of new Set([...sentServers.keys(), ...next.keys()])) {
        const before = sentServers.get(key);
        const after = next.get(key);
        if (before) add(key, before.record.requests - before.requests, before.record.errors - before.errors);
        // A record new under this key (the server added, or added back) counts from zero.
        if (after && after.record !== before?.record) add(key, after.requests, after.errors);
      }
      if (delta.total === 0 && Object.keys(delta.servers).length === 0) return undefined;
      sent = current;
      sentServers = next;
      lastAt = t;
      return delta;
    },
  };
}
