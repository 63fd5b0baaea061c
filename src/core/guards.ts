import type { PoolSettings } from '../config/types.ts';
import { circuitAdmit, circuitAt, circuitResult, CLOSED, type CircuitName, type CircuitState } from '../health/circuit.ts';
import { CLEAN, ejectionCap, isEjected, passiveFailure, passiveSuccess } from '../health/passive.ts';
import type { BackendRuntime, RuntimeTable } from './records.ts';
import type { ServiceHealth } from './service-health.ts';
import type { Backend, BalancerEvent } from './types.ts';

/**
 * What decides, per instance, whether a backend may take a new request:
 * drain, health (shared), passive ejection and the circuit breaker (local,
 * kept in each backend's runtime record).
 */
export class Guards {
  private readonly config: PoolSettings;
  private readonly health: ServiceHealth;
  private readonly records: RuntimeTable;
  private readonly service: string;
  private readonly onEvent: (e: BalancerEvent) => void;

  constructor(config: PoolSettings, health: ServiceHealth, records: RuntimeTable, service: string, onEvent: (e: BalancerEvent) => void) {
    this.config = config;
    this.health = health;
    this.records = records;
    this.service = service;
    this.onEvent = onEvent;
  }

  ejectedUntil(id: string, now: number): number | null {
    const p = this.records.peek(id)?.passive;
    return p && isEjected(p, now) ? p.ejectedUntil : null;
  }

  circuit(id: string, now: number): CircuitName {
    return circuitAt(this.records.peek(id)?.circuit ?? CLOSED, now, this.config.circuitBreaker).state;
  }

  /** Whether too few of `backends` are healthy (below `panic_threshold`), so balancing ignores health. */
  panicking(backends: readonly Backend[]): boolean {
    const threshold = this.config.panicThreshold;
    return threshold > 0 && this.healthyPercent(backends) < threshold;
  }

  /** Servers the checks call healthy and not drained, as a percentage of all (for panic mode). */
  healthyPercent(backends: readonly Backend[]): number {
    if (!backends.length) return 0;
    const up = backends.filter((b) => !this.records.peek(b.id)?.drained && this.health.record(b.id)?.status !== 'unhealthy').length;
    return (up / backends.length) * 100;
  }

  /**
   * Whether `b` may take a new request now. In `panic`, health, ejection and
   * the circuit are ignored (only drain counts), as Envoy's panic routing does.
   */
  available(b: Backend, now: number, panic: boolean): boolean {
    const r = this.records.get(b.id);
    if (r.drained) return false;
    if (panic) return true;
    const rec = this.health.record(b.id);
    if (rec?.status === 'unhealthy') {
      // With active checks off, nothing else would ever bring it back.
      if (this.config.healthCheck.enabled || now - rec.since < this.config.passive.failTimeoutMs) return false;
    }
    if (this.config.passive.enabled && isEjected(r.passive, now)) return false;
    if (this.config.circuitBreaker.enabled) return circuitAdmit(r.circuit, now, this.config.circuitBreaker).allowed;
    return true;
  }

  /** Commits the admission of a request to `b`; true when it is a half-open trial. */
  admit(b: Backend, now: number): boolean {
    if (!this.config.circuitBreaker.enabled) return false;
    const r = this.records.get(b.id);
    const adm = circuitAdmit(r.circuit, now, this.config.circuitBreaker);
    this.setCircuit(b.id, r, adm.next, now, 'open_duration elapsed');
    return adm.trial;
  }

  /** Records an attempt's outcome (a failure is an error, a timeout or a status in `on_status`). */
  result(b: Backend, ok: boolean, trial: boolean, now: number, what: string, poolSize: number): void {
    const r = this.records.get(b.id);
    if (this.config.circuitBreaker.enabled) {
      const after = circuitResult(r.circuit, ok, trial, now, this.config.circuitBreaker);
      this.setCircuit(b.id, r, after, now, ok ? 'trial requests succeeded' : `failure: ${what}`);
    }
    if (!this.config.passive.enabled) return;
    const p = r.passive;
    if (ok) {
      r.passive = passiveSuccess(p, now, this.config.passive);
      return;
    }
    let ejected = 0;
    for (const x of this.records.values()) if (isEjected(x.passive, now)) ejected++;
    const next = passiveFailure(p, now, this.config.passive, ejected < ejectionCap(poolSize, this.config.passive.maxEjectionPercent));
    r.passive = next;
    if (next.ejectedUntil !== p.ejectedUntil && isEjected(next, now)) {
      this.onEvent({
        kind: 'ejection',
        service: this.service,
        server: b.id,
        from: 'in_rotation',
        to: 'ejected',
        reason: `${this.config.passive.maxFails} failure(s) within ${this.config.passive.failTimeoutMs} ms (last: ${what}); ejected for ${next.ejectedUntil - now} ms`,
        at: now,
      });
    }
  }

  private setCircuit(id: string, r: BackendRuntime, after: CircuitState, now: number, reason: string): void {
    const before = r.circuit;
    if (after === before) return;
    r.circuit = after;
    if (before.state === after.state) return;
    // Open becomes half open because its time is up, whatever result happened to show it.
    const why = before.state === 'open' && after.state === 'half_open' ? 'open_duration elapsed' : reason;
    this.onEvent({ kind: 'circuit', service: this.service, server: id, from: `circuit_${before.state}`, to: `circuit_${after.state}`, reason: why, at: now });
  }

  /**
   * A server the active checks just brought back (unhealthy → healthy) is
   * readmitted at once: its ejection and open circuit came from the outage
   * the checks have seen end (Envoy's successful_active_health_check_uneject_host).
   */
  recovered(id: string): void {
    const r = this.records.peek(id);
    if (!r) return;
    r.passive = CLEAN;
    r.circuit = CLOSED;
  }
}
