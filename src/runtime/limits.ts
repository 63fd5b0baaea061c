/**
 * Client connection limits as the runtimes apply them: the defaults, and the
 * bookkeeping for a runtime whose server keeps no timers of its own (Deno):
 * which connections are over their time, and whether one more may open.
 */
import type { ListenLimits } from '../config/types.ts';
import { LISTEN_DEFAULTS } from '../config/validate.ts';

/** The limits a server gets when none are given: the config's defaults. */
export const DEFAULT_LIMITS: ListenLimits = LISTEN_DEFAULTS;

/** One client connection as the table sees it. */
export interface TrackedConnection {
  /** Requests whose head has arrived and whose response is not yet complete. */
  inFlight: number;
  /** Whether a response has completed on it (it then waits for a next request, not a first). */
  served: boolean;
  /** When it began waiting for a request head (opened, or its last response completed). */
  since: number;
  /** Ends the connection at once. */
  close(): void;
}

/**
 * Whether connection `c` has waited too long at `now`: for its first request
 * head longer than `header_timeout`, or with nothing in flight since its last
 * response longer than `idle_timeout` (that also bounds a slow next head).
 */
export function overdue(c: TrackedConnection, now: number, limits: ListenLimits): boolean {
  return c.inFlight === 0 && now - c.since >= (c.served ? limits.idleTimeoutMs : limits.headerTimeoutMs);
}

/** How often to look for overdue connections: a quarter of the shorter timeout, between 0.1 s and 1 s. */
export function sweepEveryMs(limits: ListenLimits): number {
  return Math.min(1000, Math.max(100, Math.min(limits.headerTimeoutMs, limits.idleTimeoutMs) / 4));
}

/** The open client connections of one listener. */
export class ConnectionTable {
  private readonly open = new Set<TrackedConnection>();
  private readonly limits: ListenLimits;

  constructor(limits: ListenLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.open.size;
  }

  /** A connection accepted at `now`, or null when `max_connections` are already open (the caller refuses it). */
  add(now: number, close: () => void): TrackedConnection | null {
    if (this.open.size >= this.limits.maxConnections) return null;
    const c: TrackedConnection = { inFlight: 0, served: false, since: now, close };
    this.open.add(c);
    return c;
  }

  /** A request head arrived on `c`. */
  started(c: TrackedConnection): void {
    c.inFlight++;
  }

  /** A response on `c` completed (or failed) at `now`. */
  finished(c: TrackedConnection, now: number): void {
    if (--c.inFlight > 0) return;
    c.served = true;
    c.since = now;
  }

  /** `c` has closed. */
  remove(c: TrackedConnection): void {
    this.open.delete(c);
  }

  /** Closes every connection overdue at `now` (see `overdue`); returns how many. */
  sweep(now: number): number {
    let closed = 0;
    for (const c of this.open) {
      if (!overdue(c, now, this.limits)) continue;
      this.open.delete(c);
      c.close();
      closed++;
    }
    return closed;
  }
}
