/**
 * Outlier detection on real traffic: nginx's max_fails within fail_timeout
 * ejects a server for fail_timeout; repeated ejections grow the time (Envoy),
 * up to a cap. Pure: state in, state out.
 */
export interface PassiveState {
  /** Times of recent failures (within fail_timeout). */
  failures: number[];
  /** Ejections so far (decays while the server behaves). */
  ejections: number;
  /** Epoch ms until which the server is ejected (0: not ejected). */
  ejectedUntil: number;
}

export interface PassiveConfig {
  maxFails: number;
  failTimeoutMs: number;
  maxEjectionMs: number;
}

export const CLEAN: PassiveState = { failures: [], ejections: 0, ejectedUntil: 0 };

export function isEjected(s: PassiveState | undefined, now: number): boolean {
  return !!s && now < s.ejectedUntil;
}

/**
 * The state after a failure at `now`. Ejects when `maxFails` failures fall
 * within `failTimeoutMs`, unless `canEject` is false (the pool's ejection cap).
 * The n-th ejection lasts fail_timeout × 2^(n-1), capped at `maxEjectionMs`.
 */
export function passiveFailure(s: PassiveState, now: number, c: PassiveConfig, canEject: boolean): PassiveState {
  if (isEjected(s, now)) return s;
  const failures = [...s.failures.filter((t) => now - t < c.failTimeoutMs), now];
  if (failures.length < c.maxFails || !canEject) return { ...s, failures };
  const ejections = s.ejections + 1;
  const ms = Math.min(c.maxEjectionMs, c.failTimeoutMs * 2 ** (ejections - 1));
  return { failures: [], ejections, ejectedUntil: now + ms };
}

/**
 * The state after a success: a server that stayed clean for a whole
 * fail_timeout after its last ejection has one ejection forgiven.
 */
export function passiveSuccess(s: PassiveState, now: number, c: PassiveConfig): PassiveState {
  if (s.ejections > 0 && s.ejectedUntil > 0 && now - s.ejectedUntil >= c.failTimeoutMs) {
    return { ...s, ejections: s.ejections - 1, ejectedUntil: s.ejections - 1 > 0 ? now : 0 };
  }
  return s;
}

/** How many servers of `total` may be ejected at once: `percent`, but always at least one. */
export function ejectionCap(total: number, percent: number): number {
  if (percent <= 0) return 0;
  return Math.max(1, Math.floor((total * percent) / 100));
}
