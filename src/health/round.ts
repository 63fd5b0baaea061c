import type { Backend, HealthDocument, HealthRecord } from '../core/types.ts';
import { observe, type Thresholds } from './observe.ts';
import type { HealthProbe } from './probe.ts';

/** A status change made by a round. */
export interface Transition {
  server: string;
  from: string;
  to: string;
  reason: string;
  at: number;
}

export interface RoundResult {
  health: HealthDocument;
  /** True when any record's status or counters differ from `prev` (worth writing). */
  changed: boolean;
  transitions: Transition[];
}

/**
 * One health-check round: probes every backend (at most `concurrency` at
 * once), applies `observe`, and returns the whole next health map. Records of
 * backends no longer configured are dropped.
 */
export async function healthRound(
  backends: readonly Backend[],
  prev: HealthDocument | undefined,
  probe: HealthProbe,
  thresholds: Thresholds,
  now: () => number,
  concurrency = 16,
): Promise<RoundResult> {
  const servers: Record<string, HealthRecord> = {};
  const transitions: Transition[] = [];
  let changed = !prev || Object.keys(prev.servers).length !== backends.length;
  let next = 0;
  async function worker(): Promise<void> {
    while (next < backends.length) {
      const backend = backends[next++];
      const result = await probe.check(backend);
      const before = prev?.servers[backend.id];
      const after = observe(before, result, thresholds, now());
      servers[backend.id] = after;
      if (!before || material(before, thresholds) !== material(after, thresholds)) changed = true;
      if (before && before.status !== after.status) {
        transitions.push({ server: backend.id, from: before.status, to: after.status, reason: after.reason ?? '', at: after.since });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, backends.length) }, worker));
  return { health: { updated_at: now(), servers }, changed, transitions };
}

/**
 * The part of a record that decides routing: status and the counters up to
 * their thresholds. Counting passes past `rise` changes nothing worth storing.
 */
function material(r: HealthRecord, t: Thresholds): string {
  return `${r.status}/${Math.min(r.consecutive_failures, t.fall)}/${Math.min(r.consecutive_successes, t.rise)}`;
}
