/**
 * A per-server circuit breaker: closed → open after `failureThreshold`
 * consecutive failures → half open after `openMs`, letting `halfOpenRequests`
 * trial requests through → closed when they all succeed, open again on any
 * failure. Pure: state in, state out.
 */
export type CircuitName = 'closed' | 'open' | 'half_open';

export interface CircuitState {
  state: CircuitName;
  failures: number;
  openedAt: number;
  /** Trial requests in flight while half open. */
  trials: number;
  /** Trial requests that succeeded while half open. */
  passed: number;
}

export interface CircuitConfig {
  failureThreshold: number;
  openMs: number;
  halfOpenRequests: number;
}

export const CLOSED: CircuitState = { state: 'closed', failures: 0, openedAt: 0, trials: 0, passed: 0 };

/** The state as of `now` (an open circuit whose time is up reads as half open). */
export function circuitAt(c: CircuitState, now: number, cfg: CircuitConfig): CircuitState {
  if (c.state === 'open' && now - c.openedAt >= cfg.openMs) return { ...c, state: 'half_open', trials: 0, passed: 0 };
  return c;
}

/** Whether a new request may go through now, and the state after admitting it (`trial` when half open). */
export function circuitAdmit(c: CircuitState, now: number, cfg: CircuitConfig): { allowed: boolean; trial: boolean; next: CircuitState } {
  const cur = circuitAt(c, now, cfg);
  if (cur.state === 'closed') return { allowed: true, trial: false, next: cur };
  if (cur.state === 'open') return { allowed: false, trial: false, next: cur };
  if (cur.trials + cur.passed >= cfg.halfOpenRequests) return { allowed: false, trial: false, next: cur };
  return { allowed: true, trial: true, next: { ...cur, trials: cur.trials + 1 } };
}

/** The state after a request's outcome; `trial` says whether it was admitted as a half-open trial. */
export function circuitResult(c: CircuitState, ok: boolean, trial: boolean, now: number, cfg: CircuitConfig): CircuitState {
  const cur = circuitAt(c, now, cfg);
  if (cur.state === 'half_open' && trial) {
    if (!ok) return { state: 'open', failures: cfg.failureThreshold, openedAt: now, trials: 0, passed: 0 };
    const passed = cur.passed + 1;
    if (passed >= cfg.halfOpenRequests) return CLOSED;
    return { ...cur, trials: Math.max(0, cur.trials - 1), passed };
  }
  if (cur.state !== 'closed') return cur; // a late result from before it opened
  if (ok) return cur.failures ? { ...cur, failures: 0 } : cur;
  const failures = cur.failures + 1;
  if (failures >= cfg.failureThreshold) return { state: 'open', failures, openedAt: now, trials: 0, passed: 0 };
  return { ...cur, failures };
}
