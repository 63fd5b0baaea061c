import type { HealthRecord, ProbeResult } from '../core/types.ts';

export interface Thresholds {
  /** State of a backend before its first check (default healthy). */
  initialState?: 'healthy' | 'unhealthy';
  /** Consecutive passing checks that bring an unhealthy backend back. */
  rise: number;
  /** Consecutive failing checks that take a healthy backend down. */
  fall: number;
}

/**
 * A backend nobody has checked yet: healthy (in rotation) unless
 * `initial_state` says otherwise. `since: 0` marks "never changed".
 */
export function initialRecord(_now: number, status: 'healthy' | 'unhealthy' = 'healthy'): HealthRecord {
  return { status, since: 0, consecutive_failures: 0, consecutive_successes: 0 };
}

/**
 * The health state machine (HAProxy's rise/fall): the next record after one
 * active check. Pure: same inputs, same record.
 */
export function observe(prev: HealthRecord | undefined, result: ProbeResult, t: Thresholds, now: number): HealthRecord {
  const base = prev ?? initialRecord(now, t.initialState);
  const last_check = {
    at: now,
    ok: result.ok,
    latency_ms: Math.round(result.latencyMs * 10) / 10,
    ...(result.status !== undefined ? { status: result.status } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
  };
  if (result.ok) {
    const successes = base.consecutive_successes + 1;
    const up = base.status === 'unhealthy' && successes >= t.rise;
    return {
      status: up ? 'healthy' : base.status,
      since: up ? now : base.since,
      consecutive_failures: 0,
      consecutive_successes: successes,
      last_check,
      reason: up ? `check passed ${successes} time(s)` : base.reason,
    };
  }
  const failures = base.consecutive_failures + 1;
  const down = base.status === 'healthy' && failures >= t.fall;
  return {
    status: down ? 'unhealthy' : base.status,
    since: down ? now : base.since,
    consecutive_failures: failures,
    consecutive_successes: 0,
    last_check,
    reason: down ? `check failed ${failures} time(s): ${result.error ?? `status ${result.status}`}` : base.reason,
  };
}

/**
 * A failure seen on real traffic that proves the backend unreachable (connect
 * refused or reset): down at once; only a passing check brings it back.
 */
export function observePassive(prev: HealthRecord | undefined, error: string, now: number): HealthRecord {
  const base = prev ?? initialRecord(now);
  if (base.status === 'unhealthy') return base;
  return {
    ...base,
    status: 'unhealthy',
    since: now,
    consecutive_failures: base.consecutive_failures + 1,
    consecutive_successes: 0,
    reason: `passive: ${error}`,
  };
}
