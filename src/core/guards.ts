import type { Config } from '../config/types.ts';
import { circuitAdmit, circuitAt, circuitResult, CLOSED, type CircuitName, type CircuitState } from '../health/circuit.ts';
import { CLEAN, ejectionCap, isEjected, passiveFailure, passiveSuccess, type PassiveState } from '../health/passive.ts';
import type { SharedState } from './state.ts';
import type { Backend, BalancerEvent } from './types.ts';

/**
 * What decides, per instance, whether a backend may take a new request:
 * drain, health (shared), passive ejection and the circuit breaker (local).
 */
export class Guards {
  private readonly passive = new Map<string, PassiveState>();
  private readonly circuits = new Map<string, CircuitState>();
  private readonly config: Config;
  private readonly state: SharedState;
  private readonly onEvent: (e: BalancerEvent) => void;

  constructor(config: Config, state: SharedState, onEvent: (e: BalancerEvent) => void) {
    this.config = config;
    this.state = state;
    this.onEvent = onEvent;
  }

  ejectedUntil(id: string, now: number): number | null {
    const p = this.passive.get(id);
    return p && isEjected(p, now) ? p.ejectedUntil : null;
  }

  circuit(id: string, now: number): CircuitName {
    return circuitAt(this.circuits.get(id) ?? CLOSED, now, this.config.circuitBreaker).state;
  }

  /** Servers the checks call healthy and not drained, as a percentage of all (for panic mode). */
  healthyPercent(backends: readonly Backend[]): number {
    if (!backends.length) return 0;
    const up = backends.filter((b) => !this.state.drained.has(b.id) && this.state.record(b.id)?.status !== 'unhealthy').length;
    return (up / backends.length) * 100;
  }

  /**
   * Whether `b` may take a new request now. In `panic`, health, ejection and
   * the circuit are ignored (only drain counts), as Envoy's panic routing does.
   */
  available(b: Backend, now: number, panic: boolean): boolean {
    if (this.state.drained.has(b.id)) return false;
    if (panic) return true;
    const rec = this.state.record(b.id);
    if (rec?.status === 'unhealthy') {
      // With active checks off, nothing else would ever bring it back.
      if (this.config.healthCheck.enabled || now - rec.since < this.config.passive.failTimeoutMs) return false;
    }
    if (this.config.passive.enabled && isEjected(this.passive.get(b.id), now)) return false;
    if (this.config.circuitBreaker.enabled) return circuitAdmit(this.circuits.get(b.id) ?? CLOSED, now, this.config.circuitBreaker).allowed;
    return true;
  }

  /** Commits the admission of a request to `b`; true when it is a half-open trial. */
  admit(b: Backend, now: number): boolean {
    if (!this.config.circuitBreaker.enabled) return false;
    const before = this.circuits.get(b.id) ?? CLOSED;
    const r = circuitAdmit(before, now, this.config.circuitBreaker);
    this.setCircuit(b.id, before, r.next, now, 'open_duration elapsed');
    return r.trial;
  }

  /** Records an attempt's outcome (a failure is an error, a timeout or a status in `on_status`). */
  result(b: Backend, ok: boolean, trial: boolean, now: number, what: string, poolSize: number): void {
    if (this.config.circuitBreaker.enabled) {
      const before = this.circuits.get(b.id) ?? CLOSED;
      const after = circuitResult(before, ok, trial, now, this.config.circuitBreaker);
      this.setCircuit(b.id, before, after, now, ok ? 'trial requests succeeded' : `failure: ${what}`);
    }
    if (!this.config.passive.enabled) return;
    const p = this.passive.get(b.id) ?? CLEAN;
    if (ok) {
      const next = passiveSuccess(p, now, this.config.passive);
      if (next !== p) this.passive.set(b.id, next);
      return;
    }
    let ejected = 0;
    for (const [, s] of this.passive) if (isEjected(s, now)) ejected++;
    const next = passiveFailure(p, now, this.config.passive, ejected < ejectionCap(poolSize, this.config.passive.maxEjectionPercent));
    this.passive.set(b.id, next);
    if (next.ejectedUntil !== p.ejectedUntil && isEjected(next, now)) {
      this.onEvent({
        kind: 'ejection',
        server: b.id,
        from: 'in_rotation',
        to: 'ejected',
        reason: `${this.config.passive.maxFails} failure(s) within ${this.config.passive.failTimeoutMs} ms (last: ${what}); ejected for ${next.ejectedUntil - now} ms`,
        at: now,
      });
    }
  }

  private setCircuit(id: string, before: CircuitState, after: CircuitState, now: number, reason: string): void {
    if (after === before) return;
    this.circuits.set(id, after);
    const from = before.state;
    if (from !== after.state) this.onEvent({ kind: 'circuit', server: id, from: `circuit_${from}`, to: `circuit_${after.state}`, reason, at: now });
  }

  /**
   * A server the active checks just brought back (unhealthy → healthy) is
   * readmitted at once: its ejection and open circuit came from the outage
   * the checks have seen end (Envoy's successful_active_health_check_uneject_host).
   */
  recovered(id: string): void {
    this.passive.delete(id);
    this.circuits.delete(id);
  }

  forget(id: string): void {
    this.passive.delete(id);
    this.circuits.delete(id);
  }
}
