import { CLOSED, type CircuitState } from '../health/circuit.ts';
import { CLEAN, type PassiveState } from '../health/passive.ts';
import { estimateAt, UNMEASURED, withSample, type LatencyEstimate } from '../policies/peak-ewma.ts';
import type { LoadView } from '../policies/types.ts';
import { ServerCounters } from './stats.ts';
import type { Backend, HealthRecord } from './types.ts';

/**
 * Everything this instance knows about one backend at run time, in one
 * record with one lifecycle: it exists while the server is in the list and is
 * dropped, all of it, when the server leaves.
 */
export class BackendRuntime extends ServerCounters {
  /** An admin drained it: no new requests (in-flight ones finish). */
  drained = false;
  /** Outlier detection on real traffic (max_fails within fail_timeout). */
  passive: PassiveState = CLEAN;
  circuit: CircuitState = CLOSED;
  /** A passive health mark seen here on real traffic; stands until a newer shared check. */
  mark: HealthRecord | undefined = undefined;
  /** Time to response headers, as least_response_time reads it. */
  latencyEstimate: LatencyEstimate = UNMEASURED;
  /** Attempts sent whose response headers have not come yet. */
  awaiting = 0;
  /** WebSockets open to it (each also counts in `inFlight` while open). */
  openWebSockets = 0;
  private readonly onLeave: () => void;

  /** `onLeave`: told each time a request leaves flight here (a place may have freed). */
  constructor(onLeave: () => void = () => {}) {
    super();
    this.onLeave = onLeave;
  }

  /** A request enters flight to this backend: it counts in `inFlight` until it `leave`s. */
  enter(): void {
    this.inFlight++;
  }

  /** A request leaves flight (its body ended, its attempt failed or was given up): the one place `inFlight` falls. */
  leave(): void {
    this.inFlight--;
    this.onLeave();
  }

  /** Records a finished attempt's time to response headers, taken at `now`: the counters' histogram and the estimate. */
  sampleLatency(ms: number, now: number): void {
    this.observeLatency(ms);
    this.latencyEstimate = withSample(this.latencyEstimate, ms, now);
  }
}

/** The runtime records by backend id; policies read load figures through it, as of `now()`. */
export class RuntimeTable implements LoadView {
  private readonly byId = new Map<string, BackendRuntime>();
  private readonly now: () => number;
  /** Told, with the backend's id, each time a request leaves flight to a backend of this table (also one dropped since it entered). */
  onLeave: (id: string) => void = () => {};

  /** `now`: the clock latency samples are taken on (the balancer's). */
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** The record of `id` (a fresh one the first time). */
  get(id: string): BackendRuntime {
    let r = this.byId.get(id);
    if (!r) {
      r = new BackendRuntime(() => this.onLeave(id));
      this.byId.set(id, r);
    }
    return r;
  }

  /** Keeps the records of exactly these servers (with their drain flags); every other record is dropped. */
  sync(servers: ReadonlyArray<{ id: string; drained: boolean }>): void {
    const keep = new Set<string>();
    for (const s of servers) {
      keep.add(s.id);
      this.get(s.id).drained = s.drained;
    }
    for (const id of this.byId.keys()) if (!keep.has(id)) this.byId.delete(id);
  }

  /** The record of `id` if the server is listed. */
  peek(id: string): BackendRuntime | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<BackendRuntime> {
    return this.byId.values();
  }

  /** Whether `b` has room for one more request in flight (below its `max_conns`, or it has none). */
  belowCap(b: Backend): boolean {
    return b.maxConns === 0 || this.inFlight(b.id) < b.maxConns;
  }

  inFlight(id: string): number {
    return this.byId.get(id)?.inFlight ?? 0;
  }

  latencyMs(id: string): number | undefined {
    const r = this.byId.get(id);
    return r && estimateAt(r.latencyEstimate, this.now());
  }

  awaiting(id: string): number {
    return this.byId.get(id)?.awaiting ?? 0;
  }
}
