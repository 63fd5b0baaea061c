import type { HealthRecord } from '../core/types.ts';

/**
 * When health rounds run. Every check has a due time (`next_check_at`); a
 * timer or an alarm is armed for the earliest one, so a check runs when it is
 * due rather than at the next fixed tick after it. Pure: time comes in.
 */

/**
 * The shortest wait between two rounds, and how early a check may run: no
 * busy loop, and a timer that fires a few milliseconds early still finds its
 * check due.
 */
export const ROUND_FLOOR_MS = 20;

/** The longest a process timer waits between two looks, so services and servers added at run time are checked soon. */
export const ROUND_CEILING_MS = 1_000;

/**
 * The longest a Durable Object's health alarm waits: a safety net for a
 * services change that did not re-arm it (each write does, and so does cron).
 */
export const ALARM_CEILING_MS = 60_000;

/** The servers of one pool whose periodic checks run, and their health records. */
export interface ScheduledPool {
  ids: readonly string[];
  records: Readonly<Record<string, HealthRecord>>;
}

/**
 * The earliest due check of these pools (epoch ms): -Infinity when a server
 * was never checked (or has no due time), Infinity when no pool has a server.
 */
export function nextCheckAt(pools: Iterable<ScheduledPool>): number {
  let at = Infinity;
  for (const pool of pools) {
    for (const id of pool.ids) at = Math.min(at, pool.records[id]?.next_check_at ?? -Infinity);
  }
  return at;
}

/** Whether a check due at `dueAt` runs in a round that starts at `now` (one due within `ROUND_FLOOR_MS` does). */
export function isDue(dueAt: number | undefined, now: number): boolean {
  return (dueAt ?? -Infinity) <= now + ROUND_FLOOR_MS;
}

/**
 * When to run the next round: at the earliest due check, but no sooner than
 * `ROUND_FLOOR_MS` from now and no later than `ceilingMs` from now (Infinity
 * when nothing is due and there is no ceiling).
 */
export function nextRoundAt(dueAt: number, now: number, ceilingMs: number = ROUND_CEILING_MS): number {
  return Math.max(now + ROUND_FLOOR_MS, Math.min(dueAt, now + ceilingMs));
}

/**
 * When a Durable Object's health alarm should fire for the earliest due check
 * `dueAt`: as `nextRoundAt` with `ALARM_CEILING_MS`; undefined when nothing
 * checks (no alarm).
 */
export function alarmAt(dueAt: number, now: number): number | undefined {
  return dueAt === Infinity ? undefined : nextRoundAt(dueAt, now, ALARM_CEILING_MS);
}

/**
 * When a server is next due after a check that started at `startedAt` and
 * finished at `finishedAt`: `stepMs` after the start (as HAProxy schedules),
 * so the time a probe takes does not stretch the interval; a probe slower
 * than the step skips the slots already past.
 */
export function nextCheckAfter(startedAt: number, finishedAt: number, stepMs: number): number {
  const step = Math.max(1, stepMs);
  const slots = Math.max(1, Math.floor((finishedAt - startedAt) / step) + 1);
  return Math.round(startedAt + slots * step);
}
