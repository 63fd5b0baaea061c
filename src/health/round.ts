import type { Backend, BalancerEvent, HealthMap, HealthRecord } from '../core/types.ts';
import { observe, type Thresholds } from './observe.ts';
import type { HealthProbe } from './probe.ts';
import { isDue, nextCheckAfter } from './schedule.ts';

export interface RoundResult {
  health: HealthMap;
  /** True when any record's routing-relevant part differs from `prev` (worth writing). */
  changed: boolean;
  /** Status changes this round (the caller knows which service). */
  transitions: Array<Omit<BalancerEvent, 'service'>>;
  /** Servers probed this round. */
  checked: string[];
}

export interface RoundOptions extends Thresholds {
  intervalMs: number;
  /** While a server is changing state (HAProxy `fastinter`). */
  fastIntervalMs: number;
  /** While a server is down (HAProxy `downinter`). */
  downIntervalMs: number;
  /** Next checks spread by ± this fraction of the interval. */
  jitter: number;
  random: () => number;
  now: () => number;
  /** Probe every server, due or not. */
  force?: boolean;
  concurrency?: number;
}

/** The interval until a server's next check, by its state. */
export function intervalFor(rec: HealthRecord, o: Pick<RoundOptions, 'intervalMs' | 'fastIntervalMs' | 'downIntervalMs'>): number {
  if (rec.status === 'unhealthy') return rec.consecutive_successes > 0 ? o.fastIntervalMs : o.downIntervalMs;
  return rec.consecutive_failures > 0 ? o.fastIntervalMs : o.intervalMs;
}

/**
 * One health-check round: probes every backend whose next check is due (at
 * most `concurrency` at once), applies `observe`, schedules each one's next
 * check (its interval, with jitter, after the probe started), and returns the
 * whole next health map. Records of backends no longer configured are dropped.
 */
export async function healthRound(
  backends: readonly Backend[],
  prev: HealthMap | undefined,
  probe: HealthProbe,
  o: RoundOptions,
): Promise<RoundResult> {
  const servers: Record<string, HealthRecord> = {};
  const transitions: Array<Omit<BalancerEvent, 'service'>> = [];
  const checked: string[] = [];
  let changed = !prev || Object.keys(prev.servers).length !== backends.length;
  const start = o.now();
  const due = backends.filter((b) => {
    const rec = prev?.servers[b.id];
    if (o.force || !rec || isDue(rec.next_check_at, start)) return true;
    servers[b.id] = rec;
    return false;
  });
  let next = 0;
  async function worker(): Promise<void> {
    while (next < due.length) {
      const backend = due[next++];
      const started = o.now();
      const result = await probe.check(backend);
      const before = prev?.servers[backend.id];
      const t = o.now();
      const after = observe(before, result, o, t);
      const spread = 1 + o.jitter * (2 * o.random() - 1);
      after.next_check_at = nextCheckAfter(started, t, intervalFor(after, o) * spread);
      servers[backend.id] = after;
      checked.push(backend.id);
      if (!before || material(before, o) !== material(after, o)) changed = true;
      if (before && before.status !== after.status) {
        transitions.push({ kind: 'health', server: backend.id, from: before.status, to: after.status, reason: after.reason ?? '', at: after.since });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 16, due.length) }, worker));
  return { health: { updated_at: o.now(), servers }, changed, transitions, checked };
}

/**
 * The part of a record that decides routing: status and the counters up to
 * their thresholds. Counting passes past `rise` changes nothing worth storing.
 */
function material(r: HealthRecord, t: Thresholds): string {
  return `${r.status}/${Math.min(r.consecutive_failures, t.fall)}/${Math.min(r.consecutive_successes, t.rise)}`;
}
