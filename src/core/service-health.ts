import type { RuntimeTable } from './records.ts';
import type { Backend, HealthRecord } from './types.ts';

/** Longest a passive mark overrides the shared health map (it yields sooner to a newer check). */
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

  constructor(records: RuntimeTable, shared: () => Record<string, HealthRecord>, now: () => number) {
    this.records = records;
    this.shared = shared;
    this.now = now;
  }

  /**
   * The effective health of a backend: a passive mark while it stands (until
   * a health check newer than it arrives in the shared map, or the next local
   * round folds it in, at most `PASSIVE_MARK_MS`), else the shared record.
   */
  record(id: string): HealthRecord | undefined {
    const base = this.shared()[id];
    const runtime = this.records.peek(id);
    const mark = runtime?.mark;
    if (!runtime || !mark) return base;
    if ((base?.last_check?.at ?? 0) < mark.since && this.now() - mark.since < PASSIVE_MARK_MS) return mark;
    runtime.mark = undefined;
    // A check newer than the mark passed: the outage the mark recorded is over.
    if (base?.status === 'healthy' && base.last_check?.ok) this.onRecovered?.(id);
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
    for (const b of backends) {
      if (!this.records.peek(b.id)?.mark) continue;
      const rec = this.record(b.id);
      if (rec) (servers ??= { ...this.shared() })[b.id] = rec;
    }
    return servers ?? this.shared();
  }

  /** Drops every passive mark (a round has folded them into the shared map). */
  clearMarks(): void {
    for (const r of this.records.values()) r.mark = undefined;
  }
}
