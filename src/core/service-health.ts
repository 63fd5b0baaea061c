import { observe } from '../health/observe.ts';
import type { RuntimeTable } from './records.ts';
import type { Backend, HealthRecord, LastCheck } from './types.ts';

/** Longest a passive mark overrides the shared health map (it yields sooner to the checks, see `ServiceHealth.record`). */
export const PASSIVE_MARK_MS = 30_000;

/**
 * One service's health as this instance sees it: the shared map's records,
 * overridden by passive marks this instance saw on real traffic (kept in the
 * backends' runtime records) while they stand.
 */
export class ServiceHealth {
  /** Called for each backend whose outage a newer passing check has shown over. */
  onRecovered?: (id: string) => void;
  private readonly records: RuntimeTable;
  private readonly shared: () => Record<string, HealthRecord>;
  private readonly now: () => number;
  private readonly rise: () => number;
  /** The marks the last `effective()` handed to a round, by backend id. */
  private folded = new Map<string, HealthRecord>();

  /** `rise`: the passing checks that bring a server back (the service's `health_check.rise`). */
  constructor(records: RuntimeTable, shared: () => Record<string, HealthRecord>, now: () => number, rise: () => number = () => 1) {
    this.records = records;
    this.shared = shared;
    this.now = now;
    this.rise = rise;
  }

  /**
   * The effective health of a backend. A passive mark stands over the shared
   * record until the checks account for it: the shared record is unhealthy
   * itself (its own rise brings it back), or it came back after the mark, or
   * `rise` passing checks that started after the mark have been seen here
   * (a failing one starts the count again); at most `PASSIVE_MARK_MS`. A
   * shared record that is healthy only because its failures are below `fall`
   * never lifts a mark.
   */
  record(id: string): HealthRecord | undefined {
    const base = this.shared()[id];
    const runtime = this.records.peek(id);
    const mark = runtime?.mark;
    if (!runtime || !mark) return base;
    if (this.now() - mark.since >= PASSIVE_MARK_MS || base?.status === 'unhealthy') {
      runtime.mark = undefined;
      return base;
    }
    if (base && base.since > mark.since) {
      // The writer of the shared map saw it go and come back after the mark.
      runtime.mark = undefined;
      this.onRecovered?.(id);
      return base;
    }
    const check = base?.last_check;
    if (!check || !newer(check, mark)) return mark;
    const next = observe(mark, { ok: check.ok, latencyMs: check.latency_ms, status: check.status, error: check.error }, { rise: this.rise(), fall: 1 }, check.at);
    if (next.status !== 'healthy') return (runtime.mark = { ...next, last_check: check });
    // The outage the mark recorded is over.
    runtime.mark = undefined;
    this.onRecovered?.(id);
    return base;
  }

  /** Records a passive failure mark for this instance. */
  markPassive(id: string, rec: HealthRecord): void {
    const r = this.records.peek(id);
    if (r) r.mark = rec;
  }

  /** The shared map with this instance's passive marks folded in (what the next round starts from). */
  effective(backends: readonly Backend[]): Record<string, HealthRecord> {
    let servers: Record<string, HealthRecord> | undefined;
    this.folded = new Map();
    for (const b of backends) {
      const mark = this.records.peek(b.id)?.mark;
      if (!mark) continue;
      const rec = this.record(b.id);
      if (rec) (servers ??= { ...this.shared() })[b.id] = rec;
      const standing = this.records.peek(b.id)?.mark;
      if (standing) this.folded.set(b.id, standing);
    }
    return servers ?? this.shared();
  }

  /**
   * Drops the passive marks the last `effective()` folded into a round (the
   * round's records carry them now). A mark made while the round ran stands.
   */
  clearMarks(): void {
    for (const [id, mark] of this.folded) {
      const r = this.records.peek(id);
      if (r?.mark === mark) r.mark = undefined;
    }
    this.folded = new Map();
  }
}

/** Whether `check` is one the mark has not seen yet and that started after the mark was made. */
function newer(check: LastCheck, mark: HealthRecord): boolean {
  return check.at > (mark.last_check?.at ?? -Infinity) && check.at - check.latency_ms > mark.since;
}
